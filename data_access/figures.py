"""Questions the pages, the CLI and the exports ask; each answer is a small polars frame.

Every function receives its engine, evaluates its aggregation in the database and returns only
aggregates. Counts of clients pass through ``confidentiality.suppress_counts`` before they leave.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Engine, func, select

from data_access import confidentiality
from data_access.models import (
    BenefitSpell,
    DatasetInfo,
    District,
    Municipality,
    NetworkEvent,
    NetworkEventProvider,
    Provider,
)
from data_access.periods import OPEN_END_MONTH, month_end, parse_month
from data_access.receipt import stock_changes, stock_counts

STOCK_COLUMNS = ("elb", "lzb", "lzb_under_2y", "lzb_2_4y", "lzb_4y_plus")


def dataset_info(*, engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(select(DatasetInfo.key, DatasetInfo.value)).all()
    return dict(rows)


def data_as_of(*, engine: Engine) -> int | None:
    """The month the data describe: as recorded at import, else the last month with receipt."""
    recorded = dataset_info(engine=engine).get("as_of")
    if recorded:
        return parse_month(recorded)
    with engine.connect() as connection:
        latest = connection.execute(
            select(func.max(BenefitSpell.end_month)).where(BenefitSpell.end_month < OPEN_END_MONTH)
        ).scalar()
        latest_start = connection.execute(select(func.max(BenefitSpell.start_month))).scalar()
    candidates = [m for m in (latest, latest_start) if m is not None]
    return max(candidates) if candidates else None


def first_complete_month(*, engine: Engine, years: int) -> int | None:
    """The first month with ``years`` full years of data before it.

    LZB can be counted from the month with two years of history on, "four years and longer" from
    the one with four; before, the data cannot tell (the Jobcenter's records begin then).
    """
    with engine.connect() as connection:
        first = connection.execute(select(func.min(BenefitSpell.start_month))).scalar()
    return None if first is None else first + 12 * years


def benefit_stock(*, engine: Engine, as_of: int, threshold: int) -> pl.DataFrame:
    """One row: ELB, LZB and LZB by duration of current receipt as of a month (suppressed)."""
    with engine.connect() as connection:
        row = connection.execute(stock_counts(as_of)).one()
    frame = pl.DataFrame([dict(row._mapping)], schema={c: pl.Int64 for c in STOCK_COLUMNS})
    return confidentiality.suppress_counts(frame, STOCK_COLUMNS, threshold=threshold)


def benefit_stock_series(*, engine: Engine, first: int, last: int, threshold: int) -> pl.DataFrame:
    """ELB and LZB stock for every month from ``first`` to ``last`` (month indices)."""
    with engine.connect() as connection:
        changes = [
            dict(row._mapping)
            for statement in stock_changes(first, last)
            for row in connection.execute(statement)
        ]
    months = pl.DataFrame({"month": range(first, last + 1)}, schema={"month": pl.Int64})
    frame = (
        pl.DataFrame(changes, schema={"figure": pl.String, "month": pl.Int64, "change": pl.Int64})
        .group_by("figure", "month")
        .agg(pl.col("change").sum())
        .pivot(on="figure", index="month", values="change")
    )
    missing = [pl.lit(0, dtype=pl.Int64).alias(c) for c in STOCK_COLUMNS if c not in frame.columns]
    stock = (
        months.join(frame.with_columns(missing), on="month", how="left")
        .sort("month")
        .select("month", *(pl.col(c).fill_null(0).cum_sum().alias(c) for c in STOCK_COLUMNS))
    )
    return confidentiality.suppress_counts(stock, STOCK_COLUMNS, threshold=threshold)


def jobcenter_names(*, engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(select(District.jobcenter_name).order_by(District.key)).scalars()
        )


def provider_count(*, engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Provider)).scalar_one()


def municipality_count(*, engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Municipality)).scalar_one()


def network_events(*, engine: Engine, until: int | None = None) -> pl.DataFrame:
    """Network events up to the end of month ``until``, with the number of providers taking part.

    Attendee and provider numbers describe events, not clients, and are shown as recorded.
    """
    providers = (
        select(func.count())
        .where(NetworkEventProvider.event_id == NetworkEvent.id)
        .correlate(NetworkEvent)
        .scalar_subquery()
    )
    statement = select(
        NetworkEvent.date, NetworkEvent.title, NetworkEvent.attendees, providers.label("providers")
    ).order_by(NetworkEvent.date)
    if until is not None:
        statement = statement.where(NetworkEvent.date <= month_end(until))
    with engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(statement)]
    schema = {"date": pl.Date, "title": pl.String, "attendees": pl.Int64, "providers": pl.Int64}
    return pl.DataFrame(rows, schema=schema)


def headline_figures(*, engine: Engine, as_of: int, threshold: int) -> dict[str, object]:
    """The figures of the Übersicht and of ``teilhabe figures``: stock, network, events."""
    return {
        **benefit_stock(engine=engine, as_of=as_of, threshold=threshold).row(0, named=True),
        "providers": provider_count(engine=engine),
        "municipalities": municipality_count(engine=engine),
        "network_events": network_events(engine=engine, until=as_of),
    }


def as_of_date(month: int) -> dt.date:
    """The reporting day of a month: its last day."""
    return month_end(month)
