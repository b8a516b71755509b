"""Benefit receipt as of a month: the ELB and LZB definitions of § 48a SGB II, in one place.

Definitions (see the glossary):
- ELB stock in month M: clients with a benefit spell covering M's reporting day (its last day).
- LZB in month M: in the ELB stock in M and in receipt in at least 21 of the 24 months M-23 .. M.
- Duration of current receipt in M: completed months since the start of the spell covering M;
  "four years or longer" means the spell started in month M-48 or earlier (for 09/2013: on
  30.09.2009 or earlier).

Each of these is an interval of months per spell, so every stock figure is "count the spells
whose interval covers M". ``derive_lzb_from`` computes where a spell's LZB interval begins (it
depends on the client's earlier spells); the statements below count intervals in the database.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import ColumnElement, Integer, Select, and_, case, func, literal, select

from data_access.models import BenefitSpell
from data_access.periods import spell_month_columns

LZB_WINDOW_MONTHS = 24
LZB_MIN_MONTHS = 21
TWO_YEARS_MONTHS = 24
FOUR_YEARS_MONTHS = 48


def derive_lzb_from(spells: pl.DataFrame) -> pl.Series:
    """For each spell, the first month in which its client counts as LZB, or null.

    ``spells`` has ``client_id``, ``start_month`` and ``end_month`` (one row per spell, spells of
    a client not overlapping). Within a spell the months of receipt in the 24-month window never
    decrease from one month to the next (the spell adds one, the window drops at most one), so
    LZB holds from the first month where the window has 21 months of receipt to the spell's end.
    From the 21st month of a spell on that is always true; before, earlier spells that ended in
    the 23 months before the spell began can make up the difference.
    """
    frame = spells.select("client_id", "start_month", "end_month").with_row_index("spell")
    earlier = frame.select(
        "client_id",
        pl.col("start_month").alias("prev_start"),
        pl.col("end_month").alias("prev_end"),
    )
    candidates = (
        frame.join(earlier, on="client_id")
        .filter(
            pl.col("prev_end") < pl.col("start_month"),
            pl.col("prev_end") >= pl.col("start_month") - (LZB_WINDOW_MONTHS - 1),
            pl.col("prev_end") >= pl.col("prev_start"),
        )
        # months M from the spell's start to its 20th month, where earlier spells could count
        .with_columns(
            month=pl.int_ranges(
                "start_month", pl.col("start_month") + (LZB_MIN_MONTHS - 1), dtype=pl.Int64
            )
        )
        .explode("month")
        .with_columns(
            earlier_months=(
                pl.min_horizontal("prev_end", pl.col("start_month") - 1)
                - pl.max_horizontal("prev_start", pl.col("month") - (LZB_WINDOW_MONTHS - 1))
                + 1
            ).clip(lower_bound=0)
        )
        .group_by("spell", "month", "start_month")
        .agg(pl.col("earlier_months").sum())
        .filter(pl.col("month") - pl.col("start_month") + 1 + pl.col("earlier_months") >= 21)
        .group_by("spell")
        .agg(pl.col("month").min().alias("early_lzb"))
    )
    first = pl.coalesce("early_lzb", pl.col("start_month") + (LZB_MIN_MONTHS - 1))
    return (
        frame.join(candidates, on="spell", how="left")
        .sort("spell")
        .select(pl.when(first <= pl.col("end_month")).then(first).cast(pl.Int64))
        .to_series()
        .alias("lzb_from_month")
    )


def prepare_spells(spells: pl.DataFrame) -> pl.DataFrame:
    """Spells with ``client_id``, ``start_date`` and ``end_date`` plus all derived month columns.

    Every writer of ``benefit_spell`` passes its rows (all spells of the clients concerned)
    through here, so the derived columns always follow the definitions in this module.
    """
    with_months = spells.with_columns(spell_month_columns())
    return with_months.with_columns(derive_lzb_from(with_months))


def _covers(first: ColumnElement, last: ColumnElement, month: int) -> ColumnElement:
    return and_(first <= month, last >= month)


def _greatest(a: ColumnElement, b: ColumnElement) -> ColumnElement:
    return case((a > b, a), else_=b)


def _least(a: ColumnElement, b: ColumnElement) -> ColumnElement:
    return case((a < b, a), else_=b)


def stock_intervals() -> dict[str, tuple[ColumnElement, ColumnElement]]:
    """For each stock figure, the interval of months (first, last) in which a spell counts."""
    s = BenefitSpell
    return {
        "elb": (s.start_month, s.end_month),
        "lzb": (s.lzb_from_month, s.end_month),
        "lzb_under_2y": (s.lzb_from_month, _least(s.end_month, s.start_month + 23)),
        "lzb_2_4y": (
            _greatest(s.lzb_from_month, s.start_month + TWO_YEARS_MONTHS),
            _least(s.end_month, s.start_month + FOUR_YEARS_MONTHS - 1),
        ),
        "lzb_4y_plus": (s.start_month + FOUR_YEARS_MONTHS, s.end_month),
    }


def stock_counts(as_of: int) -> Select:
    """ELB, LZB and LZB by duration of current receipt (< 2, 2 to < 4, >= 4 years) as of a month."""
    s = BenefitSpell
    columns = [
        func.coalesce(func.sum(case((_covers(first, last, as_of), 1), else_=0)), 0)
        .cast(Integer)
        .label(name)
        for name, (first, last) in stock_intervals().items()
    ]
    return select(*columns).where(s.start_month <= as_of, s.end_month >= as_of)


def stock_changes(first_month: int, last_month: int) -> list[Select]:
    """Per figure, how many intervals begin (+1) and end (-1) in each month of a range.

    A running sum of the changes from the beginning of time gives the stock of every month in
    one pass; the statements aggregate in the database and return at most a few hundred rows.
    Columns: ``figure``, ``month``, ``change``; months before ``first_month`` are folded into it.
    """
    statements = []
    for name, (first, last) in stock_intervals().items():
        begins = _greatest(first, literal(first_month))
        statements.append(
            select(
                literal(name).label("figure"), begins.label("month"), func.count().label("change")
            )
            .where(first <= last, first <= last_month, last >= first_month)
            .group_by(begins)
        )
        ends = last + 1
        statements.append(
            select(
                literal(name).label("figure"), ends.label("month"), (-func.count()).label("change")
            )
            .where(first <= last, first <= last_month, last >= first_month, last < last_month)
            .group_by(ends)
        )
    return statements
