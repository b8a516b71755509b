"""Questions the pages, the CLI and the exports ask; each answer is small and already suppressed.

Facts about the network and the data set are aggregated in the database. Figures about clients are
computed by ``indicators`` over the columnar case copy (``cases``); every count and rate passes the
confidentiality rule here, before it leaves the data layer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
from sqlalchemy import Engine, func, select

from data_access import cases as cases_module
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
from data_access.periods import month_end

STOCK_COLUMNS = ("elb", "lzb", "lzb_under_2y", "lzb_2_4y", "lzb_4y_plus")


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
    months: Sequence[int],
    threshold: int,
    filters: Filters | None = None,
) -> pl.DataFrame:
    """Every figure per group of ``by`` (a dimension of ``indicators.DIMENSIONS``) in ``months``.

    Counts and rates are suppressed per cell as in ``figure_series``; complementary suppression
    across the groups of a month follows in ``confidentiality``. Only the months asked for are
    suppressed and returned (e.g. the as-of month and the year before).
    """
    if by not in DIMENSIONS:
        raise ValueError(f"Unbekannte Aufgliederung {by!r}; möglich: {', '.join(DIMENSIONS)}")
    if not months:
        raise ValueError("breakdown_series needs at least one month")
    wanted = sorted(set(months))
    exact = figures_series(cases, filters or Filters(), wanted[-1], wanted[0], by=by).filter(
        pl.col("month").is_in(wanted)
    )
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

    Vectorised over the frame; only rows where a line of ``PARTS_OF`` has something to protect
    go through ``confidentiality.suppress_line`` one by one.
    """
    if exact.is_empty():
        return exact
    hide = _line_marks(exact, threshold)

    def shown_null(column: str) -> pl.Expr:
        """Whether the shown value of a count column is null (suppressed or missing)."""
        expr = pl.col(column).is_null() | _small(pl.col(column), threshold)
        return expr | pl.lit(hide[column]) if column in hide else expr

    counts = [
        pl.when(shown_null(c)).then(None).otherwise(pl.col(c)).alias(c) for c in COUNT_COLUMNS
    ]
    rates = []
    for rate, (numerator, denominator) in RATES.items():
        limit = threshold * (12 if denominator in SUMMED_OVER_WINDOW else 1)
        num, den = pl.col(numerator), pl.col(denominator)
        hidden = shown_null(numerator) if numerator in COUNT_COLUMNS else num.is_null()
        # Exact numerator and denominator, as given (the denominator is not the shown one).
        hidden = hidden | _small(num, threshold) | den.is_null() | (den < limit)
        rates.append(pl.when(hidden).then(None).otherwise(pl.col(rate)).alias(rate))
    return exact.with_columns(*counts, *rates)


def _small(expr: pl.Expr, threshold: int) -> pl.Expr:
    """``confidentiality.is_disclosive`` as an expression (null for null)."""
    return expr.is_between(1, threshold - 1)


def _quiet(expr: pl.Expr, threshold: int) -> pl.Expr:
    """A count that is exact (not null), not negative and not small: nothing to protect."""
    return ((expr >= 0) & ~_small(expr, threshold)).fill_null(False)


def _line_is_quiet(whole: str, parts: Sequence[str], threshold: int) -> pl.Expr:
    """Whether the line of ``whole`` and its ``parts`` needs no suppression at all.

    True when every part, the whole and the remainder (whole minus the parts, a hidden cell of
    the line) are quiet: then ``confidentiality.suppress_line`` hides nothing -- no part is
    small, the total is not, and the remainder is not small either (a small remainder alone,
    e.g. 0 + 10 + 10 under 21, does take a part along). False, too, where the line is invalid
    (nulls, negatives, whole below its parts), so that those rows raise as before.
    """
    remainder = pl.col(whole) - pl.sum_horizontal(pl.col(p) for p in parts)
    return pl.all_horizontal(
        *(_quiet(pl.col(p), threshold) for p in parts),
        _quiet(pl.col(whole), threshold),
        _quiet(remainder, threshold),
    )


def _line_marks(exact: pl.DataFrame, threshold: int) -> dict[str, pl.Series]:
    """Per count column, which rows the lines of ``PARTS_OF`` hide (beyond primary suppression).

    Only columns with something hidden are keys; the values are boolean masks over the rows.
    """
    busy = exact.select(
        pl.any_horizontal(
            ~_line_is_quiet(whole, parts, threshold) for whole, parts in PARTS_OF.items()
        ).alias("busy")
    ).to_series()
    if not busy.any():
        return {}
    lines = list(PARTS_OF.items())
    columns = [c for whole, parts in lines for c in (*parts, whole)]
    positions = busy.arg_true().to_list()
    hidden: dict[str, list[int]] = {}
    for position, values in zip(
        positions, exact.select(columns).filter(busy).iter_rows(), strict=True
    ):
        start = 0
        for whole, parts in lines:
            line = values[start : start + len(parts)]
            total = values[start + len(parts)]
            start += len(parts) + 1
            cells, total_hidden = confidentiality.suppress_line(line, total, threshold=threshold)
            for i in cells:
                hidden.setdefault(parts[i], []).append(position)
            if total_hidden:
                hidden.setdefault(whole, []).append(position)
    return {column: _mask(exact.height, rows) for column, rows in hidden.items()}


def _mask(height: int, rows: Sequence[int]) -> pl.Series:
    """A boolean series of ``height`` rows, true at ``rows``."""
    return pl.repeat(False, height, dtype=pl.Boolean, eager=True).scatter(rows, True)


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
    shown = suppress(frame, threshold=threshold)
    ordered = frame.with_row_index(_ROW).sort(by)
    # Per month, which lines need any work: the ELB line across the groups, and each table of
    # groups x parts (with its margins). A line or table without a small, null or negative
    # count (all its margins are then 0 or at least the threshold, too) hides nothing, and the
    # functions of ``confidentiality`` would return it unchanged. Invalid labels (null or twice
    # in a month) send the tables to ``suppress_table`` as well, which rejects them.
    tables = list(PARTS_OF.items())
    labels_invalid = pl.col(by).is_null().any() | pl.col(by).is_duplicated().any()
    work = ordered.group_by("month", maintain_order=True).agg(
        (~_quiet(pl.col("elb"), threshold)).any().alias("elb"),
        *(
            (
                labels_invalid
                | ~pl.all_horizontal(_quiet(pl.col(p), threshold) for p in parts).all()
            ).alias(whole)
            for whole, parts in tables
        ),
    )
    hidden_totals: dict[int, set[str]] = {month: set() for month in work["month"]}
    hidden: dict[str, list[int]] = {}
    busy = work.filter(pl.any_horizontal("elb", *PARTS_OF))
    for month, elb_busy, *tables_busy in busy.iter_rows():
        exact = ordered.filter(pl.col("month").eq_missing(month))
        totals = hidden_totals[month]
        rows = exact[_ROW]
        if elb_busy:
            line = confidentiality.suppress_breakdown_with_total(
                exact.select(_ROW, "elb"), count_columns=["elb"], threshold=threshold
            )
            hidden.setdefault("elb", []).extend(rows.filter(line.frame["elb"].is_null()))
            if line.totals["elb"] is None:
                totals.add("elb")
        for (whole, parts), table_busy in zip(tables, tables_busy, strict=True):
            if not table_busy:
                continue
            long = exact.unpivot(
                index=[by, _ROW], on=list(parts), variable_name="part", value_name="n"
            )
            table = confidentiality.suppress_table(
                long, row=by, column="part", count="n", threshold=threshold
            )
            for row, part, n in table.cells.select(_ROW, "part", "n").iter_rows():
                if n is None:
                    hidden.setdefault(part, []).append(row)
            # Row totals come in the order of the groups in ``exact`` (each once).
            hidden.setdefault(whole, []).extend(rows.filter(table.row_totals["n"].is_null()))
            totals |= {part for part, n in table.column_totals.iter_rows() if n is None}
            if table.grand_total is None:
                totals.add(whole)
    shown = shown.with_columns(
        pl.when(pl.lit(_mask(frame.height, rows))).then(None).otherwise(pl.col(c)).alias(c)
        for c, rows in hidden.items()
        if rows
    )
    rates = [
        pl.when(pl.col(numerator).is_null()).then(None).otherwise(pl.col(rate)).alias(rate)
        for rate, (numerator, _) in RATES.items()
        if numerator in COUNT_COLUMNS
    ]
    return shown.with_columns(rates).select(frame.columns), hidden_totals


_ROW = "__row"  # position of a row in the frame, kept through sorting and reshaping


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
