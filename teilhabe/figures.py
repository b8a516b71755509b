"""Questions the pages, the CLI and the exports ask; each answer is small and already protected.

Facts about the network and the data set are aggregated in the database. Figures about clients are
computed by ``indicators`` over the columnar case copy (``cases``); every count leaves the data
layer through ``protection.publish`` and every rate is built from published counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields

import polars as pl
from sqlalchemy import Engine, func, select

from data_access.models import (
    BenefitSpell,
    DatasetInfo,
    District,
    Municipality,
    NetworkEvent,
    NetworkEventProvider,
    Provider,
)
from data_access.periods import month_end
from teilhabe import cases as cases_module
from teilhabe.cases import Cases
from teilhabe.definitions import KENNZAHLEN, LZB_BAND_COLUMNS
from teilhabe.definitions import RATES as RATES
from teilhabe.indicators import DIMENSIONS, figures_series
from teilhabe.protection import Protection
from teilhabe.selection import Filters, in_area

STOCK_COLUMNS = ("elb", "lzb", *LZB_BAND_COLUMNS.values())


def dataset_info(*, engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(select(DatasetInfo.key, DatasetInfo.value)).all()
    return dict(rows)


def data_as_of(*, engine: Engine) -> int | None:
    """The month the data describe (``cases.data_as_of``)."""
    with engine.connect() as connection:
        return cases_module.data_as_of(connection)


def first_complete_month(*, engine: Engine, years: int) -> int | None:
    """The first month with ``years`` full years of data before it.

    LZB can be counted from the month with two years of history on, "four years and longer" from
    the one with four; before, the data cannot tell (the Jobcenter's records begin then).
    """
    with engine.connect() as connection:
        first = connection.execute(select(func.min(BenefitSpell.start_month))).scalar()
    return None if first is None else first + 12 * years


def benefit_stock(
    *, cases: Cases, as_of: int, protection: Protection, filters: Filters | None = None
) -> pl.DataFrame:
    """One row: ELB, LZB and LZB by duration of current receipt as of a month (published)."""
    return figure_series(
        cases=cases, first=as_of, last=as_of, protection=protection, filters=filters
    ).select(STOCK_COLUMNS)


def figure_series(
    *,
    cases: Cases,
    first: int,
    last: int,
    protection: Protection,
    filters: Filters | None = None,
) -> pl.DataFrame:
    """Every figure for each month from ``first`` to ``last``: published counts and rates.

    Rates are in percent (``lzb_change`` is the change against the year before in percent).
    """
    published = figures_series(cases, filters or Filters(), last, first, protection)
    return published.select("month", *COUNT_COLUMNS, *RATES)


def breakdown_series(
    *,
    cases: Cases,
    by: str,
    months: Sequence[int],
    protection: Protection,
    filters: Filters | None = None,
) -> pl.DataFrame:
    """Every figure per group of ``by`` (a dimension of ``indicators.DIMENSIONS``) in ``months``,
    published like ``figure_series`` (each group's counts with its own cell keys; the total of
    the groups is ``figure_series`` of the whole filter). Only the months asked for are returned
    (e.g. the as-of month and the year before).
    """
    if by not in DIMENSIONS:
        raise ValueError(f"Unbekannte Aufgliederung {by!r}; möglich: {', '.join(DIMENSIONS)}")
    if not months:
        raise ValueError("breakdown_series needs at least one month")
    wanted = sorted(set(months))
    published = figures_series(
        cases, filters or Filters(), wanted[-1], wanted[0], protection, by=by, only=wanted
    )
    return published.select(by, "month", *COUNT_COLUMNS, *RATES)


COUNT_COLUMNS = (
    *STOCK_COLUMNS,
    "integrations_12m",
    "integrations_employment_12m",
    "integrations_training_12m",
    "integrations_self_employment_12m",
)


def jobcenter_names(*, engine: Engine) -> list[str]:
    return list(jobcenters(engine=engine).values())


def jobcenters(*, engine: Engine) -> dict[str, str]:
    """District key -> name of its Jobcenter, ordered by key (so by Land)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(District.key, District.jobcenter_name).order_by(District.key)
        ).all()
    return dict(rows)


def provider_count(*, engine: Engine, area: Filters | None = None) -> int:
    """Providers, or those located in the Länder and Jobcenters of ``area``."""
    with engine.connect() as connection:
        if area is None or not area.unit().has_area:
            return connection.execute(select(func.count()).select_from(Provider)).scalar_one()
        places = connection.execute(select(Provider.municipality_ags)).scalars()
        return sum(1 for ags in places if in_area(area.unit(), ags))


def municipality_count(*, engine: Engine, area: Filters | None = None) -> int:
    """Municipalities, or those in the Länder and Jobcenters of ``area``."""
    with engine.connect() as connection:
        if area is None or not area.unit().has_area:
            return connection.execute(select(func.count()).select_from(Municipality)).scalar_one()
        places = connection.execute(select(Municipality.ags)).scalars()
        return sum(1 for ags in places if in_area(area.unit(), ags))


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


@dataclass(frozen=True)
class HeadlineFigures:
    """The figures of a month as every page, the CLI and the report show them, published.

    Counts are published counts (``None`` never occurs for them); rates are in percent and
    ``None`` where not shown (their published base is below ``min_rate_base``). ``lzb_change``
    (K3) and ``elb_change`` (K1E2) are changes against the same month a year before in percent.
    """

    elb: int
    lzb: int
    lzb_under_2y: int
    lzb_2_4y: int
    lzb_4y_plus: int
    integrations_12m: int
    integrations_employment_12m: int
    integrations_training_12m: int
    integrations_self_employment_12m: int
    integration_rate: float | None  # K2
    continuity_rate: float | None  # K2E3
    integration_rate_single_parents: float | None  # K2E4
    lzb_change: float | None  # K3
    integration_rate_lzb: float | None  # K3E1
    activation_rate_lzb: float | None  # K3E2
    elb_change: float | None  # K1E2
    elb_entry_rate: float | None  # K1E3
    elb_exit_rate: float | None  # K1E4
    lzb_entry_rate: float | None  # K3E3
    lzb_exit_rate: float | None  # K3E4
    providers: int
    municipalities: int
    network_events: pl.DataFrame

    def value(self, key: str) -> int | float | None:
        """A count or rate by its registry key (``COUNT_COLUMNS``, ``RATES``)."""
        if key not in _FIGURE_KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def to_dict(self) -> dict[str, object]:
        """Every field by name, in the order of the CLI's JSON (network events as a frame)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


_FIGURE_KEYS = frozenset((*COUNT_COLUMNS, *RATES))


def headline_figures(
    *,
    engine: Engine,
    cases: Cases,
    as_of: int,
    protection: Protection,
    filters: Filters | None = None,
) -> HeadlineFigures:
    """The figures of the Übersicht and of ``teilhabe figures``: clients, network (providers and
    municipalities in the chosen Länder and Jobcenters), events."""
    clients = figure_series(
        cases=cases, first=as_of, last=as_of, protection=protection, filters=filters
    ).drop("month")
    return HeadlineFigures(
        **clients.row(0, named=True),
        providers=provider_count(engine=engine, area=filters),
        municipalities=municipality_count(engine=engine, area=filters),
        network_events=network_events(engine=engine, until=as_of),
    )


def kennzahlen_table(now: HeadlineFigures, before: HeadlineFigures) -> pl.DataFrame:
    """The § 48a rates (``KENNZAHLEN``) at the Stichtag and a year before: code, name, now,
    before, change (percentage points of the rounded rates; null where one is not shown)."""
    rows = [
        (code, name, now.value(key), before.value(key)) for key, (code, name) in KENNZAHLEN.items()
    ]
    schema = {"code": pl.String, "name": pl.String, "now": pl.Float64, "before": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row").with_columns(
        (pl.col("now").round(1) - pl.col("before").round(1)).round(1).alias("change")
    )


def as_of_date(month: int) -> dt.date:
    """The reporting day of a month: its last day."""
    return month_end(month)
