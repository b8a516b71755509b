"""Questions the pages, the CLI and the exports ask; each answer is small and already suppressed.

Facts about the network and the data set are aggregated in the database. Figures about clients are
computed by ``indicators`` over the columnar case copy (``cases``); every count and rate passes the
confidentiality rule here, before it leaves the data layer.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Engine, func, select

from data_access import confidentiality
from data_access.cases import Cases
from data_access.indicators import DIMENSIONS, Filters, figures_series
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


def benefit_stock(
    *, cases: Cases, as_of: int, threshold: int, filters: Filters | None = None
) -> pl.DataFrame:
    """One row: ELB, LZB and LZB by duration of current receipt as of a month (suppressed)."""
    return figure_series(
        cases=cases, first=as_of, last=as_of, threshold=threshold, filters=filters
    ).select(STOCK_COLUMNS)


def figure_series(
    *, cases: Cases, first: int, last: int, threshold: int, filters: Filters | None = None
) -> pl.DataFrame:
    """Every figure for each month from ``first`` to ``last``: counts and rates (suppressed).

    Rates are in percent (``lzb_change`` is the change against the year before in percent).
    """
    exact = figures_series(cases, filters or Filters(), last, first)
    return suppress(exact, threshold=threshold).select("month", *COUNT_COLUMNS, *RATES)


def breakdown_series(
    *,
    cases: Cases,
    by: str,
    first: int,
    last: int,
    threshold: int,
    filters: Filters | None = None,
) -> pl.DataFrame:
    """Every figure per group of ``by`` (a dimension of ``indicators.DIMENSIONS``) and month.

    Counts and rates are suppressed per cell as in ``figure_series``; complementary suppression
    across the groups of a month follows in ``confidentiality``.
    """
    if by not in DIMENSIONS:
        raise ValueError(f"Unbekannte Aufgliederung {by!r}; möglich: {', '.join(DIMENSIONS)}")
    exact = figures_series(cases, filters or Filters(), last, first, by=by)
    return suppress_groups(exact, by=by, threshold=threshold).select(
        by, "month", *COUNT_COLUMNS, *RATES
    )


def breakdown_totals_hidden(
    *, cases: Cases, by: str, as_of: int, threshold: int, filters: Filters | None = None
) -> set[str]:
    """The total counts to show as "*" next to the breakdown ``by`` at ``as_of``."""
    exact = figures_series(cases, filters or Filters(), as_of, as_of, by=by)
    return group_totals_hidden(exact, by=by, threshold=threshold).get(as_of, set())


# Each rate with the count above it and the count or average stock below it.
RATES: dict[str, tuple[str, str]] = {
    "integration_rate": ("integrations_12m", "elb_sum_12m"),
    "continuity_rate": ("continued_12m", "continuity_known_12m"),
    "integration_rate_single_parents": (
        "integrations_single_parent_12m",
        "elb_single_parent_sum_12m",
    ),
    "lzb_change": ("lzb", "lzb_year_before"),
    "integration_rate_lzb": ("integrations_lzb_12m", "lzb_sum_12m"),
    "activation_rate_lzb": ("lzb_measure", "lzb"),
}
COUNT_COLUMNS = (
    *STOCK_COLUMNS,
    "integrations_12m",
    "integrations_employment_12m",
    "integrations_training_12m",
    "integrations_self_employment_12m",
)
# Sums of 12 monthly stocks stand for the average stock: their threshold is 12 times as high.
SUMMED_OVER_WINDOW = {"elb_sum_12m", "lzb_sum_12m", "elb_single_parent_sum_12m"}


# Counts shown together with the count they add up to: within one row they form a line whose
# parts must not be derivable from the whole.
PARTS_OF = {
    "lzb": ("lzb_under_2y", "lzb_2_4y", "lzb_4y_plus"),
    "integrations_12m": (
        "integrations_employment_12m",
        "integrations_training_12m",
        "integrations_self_employment_12m",
    ),
}


def suppress(exact: pl.DataFrame, *, threshold: int) -> pl.DataFrame:
    """Suppress each row: small counts, parts derivable from their whole, rates built on them.

    A rate is suppressed when its numerator or denominator is small or its shown numerator is
    suppressed; it is undefined (also null) when its denominator is zero.
    """
    rows = [_suppress_row(row, threshold) for row in exact.iter_rows(named=True)]
    return pl.DataFrame(rows, schema=exact.schema, orient="row") if rows else exact


def _suppress_row(row: dict, threshold: int) -> dict:
    shown = dict(row)
    for column in COUNT_COLUMNS:
        if confidentiality.is_disclosive(row[column], threshold=threshold):
            shown[column] = None
    for whole, parts in PARTS_OF.items():
        line = pl.DataFrame({"count": [row[p] for p in parts]}, schema={"count": pl.Int64})
        protected = confidentiality.suppress_breakdown_with_total(
            line, count_columns=["count"], threshold=threshold, total={"count": row[whole]}
        )
        for part, value in zip(parts, protected.frame["count"], strict=True):
            if value is None:
                shown[part] = None
        if protected.totals["count"] is None:
            shown[whole] = None
    for rate, (numerator, denominator) in RATES.items():
        limit = threshold * (12 if denominator in SUMMED_OVER_WINDOW else 1)
        hidden = numerator in shown and shown[numerator] is None
        if (
            hidden
            or row[numerator] is None
            or confidentiality.is_disclosive(row[numerator], threshold=threshold)
            or row[denominator] is None
            or row[denominator] < limit
        ):
            shown[rate] = None
    return shown


def suppress_groups(frame: pl.DataFrame, *, by: str, threshold: int) -> pl.DataFrame:
    """Suppress a breakdown (one row per group and month) shown with its totals.

    Per month: ELB across the groups is a line under its total; each count with its parts
    (``PARTS_OF``) is a cross table groups x parts with all margins (``suppress_table``), so no
    part is derivable from its group's whole, from the other groups, or from both. Rates are
    suppressed as in ``suppress`` and wherever their shown numerator is. The totals that go with
    the breakdown follow from ``group_totals_hidden``.
    """
    shown, _ = _suppress_groups(frame, by=by, threshold=threshold)
    return shown


def group_totals_hidden(frame: pl.DataFrame, *, by: str, threshold: int) -> dict[int, set[str]]:
    """Per month, the total counts that must be shown as "*" next to this breakdown."""
    _, totals = _suppress_groups(frame, by=by, threshold=threshold)
    return totals


def _suppress_groups(
    frame: pl.DataFrame, *, by: str, threshold: int
) -> tuple[pl.DataFrame, dict[int, set[str]]]:
    rowwise = suppress(frame, threshold=threshold)
    hidden_cells: list[dict] = []
    hidden_totals: dict[int, set[str]] = {}
    for (month,), exact in frame.sort(by).group_by("month", maintain_order=True):
        totals = hidden_totals.setdefault(month, set())
        line = confidentiality.suppress_breakdown_with_total(
            exact, count_columns=["elb"], threshold=threshold
        )
        hidden = {
            (g, "elb") for g, v in zip(exact[by], line.frame["elb"], strict=True) if v is None
        }
        if line.totals["elb"] is None:
            totals.add("elb")
        for whole, parts in PARTS_OF.items():
            long = exact.unpivot(index=by, on=list(parts), variable_name="part", value_name="n")
            table = confidentiality.suppress_table(
                long, row=by, column="part", count="n", threshold=threshold
            )
            hidden |= {
                (g, part)
                for g, part, n in table.cells.select(by, "part", "n").iter_rows()
                if n is None
            }
            hidden |= {(g, whole) for g, n in table.row_totals.iter_rows() if n is None}
            totals |= {part for part, n in table.column_totals.iter_rows() if n is None}
            if table.grand_total is None:
                totals.add(whole)
        hidden_cells.extend({by: g, "month": month, "column": c} for g, c in hidden)
    shown = rowwise
    if hidden_cells:
        marks = pl.DataFrame(
            hidden_cells, schema={by: frame.schema[by], "month": pl.Int32, "column": pl.String}
        )
        for column in COUNT_COLUMNS:
            keys = (
                marks.filter(pl.col("column") == column)
                .select(by, "month")
                .with_columns(pl.lit(True).alias("_hide"))
            )
            shown = (
                shown.join(keys, on=[by, "month"], how="left")
                .with_columns(
                    pl.when(pl.col("_hide")).then(None).otherwise(pl.col(column)).alias(column)
                )
                .drop("_hide")
            )
    rates = [
        pl.when(pl.col(numerator).is_null()).then(None).otherwise(pl.col(rate)).alias(rate)
        for rate, (numerator, _) in RATES.items()
        if numerator in COUNT_COLUMNS
    ]
    return shown.with_columns(rates).select(frame.columns), hidden_totals


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


def municipality_names(*, engine: Engine) -> dict[str, str]:
    """AGS -> name of every municipality, ordered by name."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Municipality.ags, Municipality.name).order_by(Municipality.name)
        ).all()
    return dict(rows)


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


def headline_figures(
    *, engine: Engine, cases: Cases, as_of: int, threshold: int, filters: Filters | None = None
) -> dict[str, object]:
    """The figures of the Übersicht and of ``teilhabe figures``: clients, network, events."""
    clients = figure_series(
        cases=cases, first=as_of, last=as_of, threshold=threshold, filters=filters
    ).drop("month")
    return {
        **clients.row(0, named=True),
        "providers": provider_count(engine=engine),
        "municipalities": municipality_count(engine=engine),
        "network_events": network_events(engine=engine, until=as_of),
    }


def as_of_date(month: int) -> dt.date:
    """The reporting day of a month: its last day."""
    return month_end(month)
