"""Benefit receipt as of a month: the ELB and LZB definitions of § 48a SGB II, in one place.

Definitions (see the glossary):
- ELB stock in month M: clients with a benefit spell covering M's reporting day (its last day).
- LZB in month M: in the ELB stock in M and in receipt in at least 21 of the 24 months M-23 .. M.
- Duration of current receipt in M: completed months since the start of the spell covering M;
  "four years or longer" means the spell started in month M-48 or earlier (for 09/2013: on
  30.09.2009 or earlier).

Each of these is an interval of months per spell, so every stock figure is "count the spells
whose interval covers M" (see ``indicators``). ``derive_lzb_from`` computes where a spell's LZB
interval begins; it depends on the client's earlier spells and is stored with each spell.
"""

from __future__ import annotations

import polars as pl

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
        .filter(
            pl.col("month") - pl.col("start_month") + 1 + pl.col("earlier_months") >= LZB_MIN_MONTHS
        )
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
