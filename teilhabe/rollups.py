"""The rollups of the monthly cube (``teilhabe.cube``).

The same sums already formed for the questions most filter
changes ask (``ROLLUPS``): per month the totals, per month and one dimension, per month,
municipality and one other dimension, per month and barrier code (the cells whose mask has that
bit), per month, barrier code and one dimension, per month and all dimensions but the
municipality, without and with a barrier code, and per month and pair of barrier codes (the
cells whose mask has both bits: a filter on two barriers at once), alone and by one dimension.
They grow with the months, municipalities and barrier pairs, not with the persons. Its rows
are stacked, ``rollup`` names the rollup of a row and the columns it does not group by are
null; sorted by month. Key sums are UInt32 sums that wrap modulo 2^32 like those over the
cells, so a sum over rollup rows equals the sum over the cells exactly
(``selection.rollup_for`` picks the rollup that can answer).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import polars as pl

from teilhabe.definitions import BARRIER_BITS

# The dimensions a rollup can group by (the breakdowns and filters of the pages), and the
# rollups: name -> the columns it groups by besides the month ("barrier": one barrier code;
# "barrier" and "second_barrier": two codes at once, "pair" rollups, for a filter on both).
ROLLUP_DIMENSIONS = ("municipality", "sex", "age_group", "duration", "barrier_count")
BARRIER_COLUMNS = ("barrier", "second_barrier")
ROLLUPS: dict[str, tuple[str, ...]] = {
    "total": (),
    **{dimension: (dimension,) for dimension in ROLLUP_DIMENSIONS},
    # per municipality and one other dimension (a breakdown of a filtered group)
    **{
        f"municipality_{dimension}": ("municipality", dimension)
        for dimension in ROLLUP_DIMENSIONS[1:]
    },
    "barrier": ("barrier",),
    **{f"barrier_{dimension}": ("barrier", dimension) for dimension in ROLLUP_DIMENSIONS},
    # every dimension but the municipality (at most 270 groups a month), with a barrier code
    "characteristics": ROLLUP_DIMENSIONS[1:],
    "barrier_characteristics": ("barrier", *ROLLUP_DIMENSIONS[1:]),
    # two barriers at once (45 pairs), alone and by one dimension
    "pair": BARRIER_COLUMNS,
    **{f"pair_{dimension}": (*BARRIER_COLUMNS, dimension) for dimension in ROLLUP_DIMENSIONS},
}
ROLLUP_ENUM = pl.Enum(list(ROLLUPS))
BARRIER_ENUM = pl.Enum(list(BARRIER_BITS))
# the pairs of barrier codes of the pair rollups: (first, second) in the catalogue's order
BARRIER_PAIRS = tuple(
    (first, second)
    for number, first in enumerate(BARRIER_BITS)
    for second in list(BARRIER_BITS)[number + 1 :]
)
ROLLUP_KEYS = ("month", "rollup", *BARRIER_COLUMNS, *ROLLUP_DIMENSIONS)
# the barrier codes a barrier rollup is formed for, by how many it names: one, or a pair
CODE_GROUPS = {1: tuple((code,) for code in BARRIER_BITS), 2: BARRIER_PAIRS}
# up to this many rows of cells summed by mask, the barrier rollups explode them by code
JOIN_ROWS = 200_000


def rollups(cells: pl.DataFrame, plain: pl.DataFrame, measures: tuple[str, ...]) -> pl.DataFrame:
    """The sums of ``measures`` per rollup of ``ROLLUPS``, stacked: columns ``ROLLUP_KEYS``
    (null where a rollup does not group by a column) and ``measures``, sorted by them."""
    sums = pl.col(*measures).sum()  # UInt32: key sums wrap modulo 2^32 as over the cells
    # the barrier rollups are formed from the cells summed over what they do not group by
    masks = {
        "characteristics": cells.group_by("month", *ROLLUP_DIMENSIONS[1:], "barrier_mask").agg(
            sums
        ),
        "municipality": cells.group_by("month", "municipality", "barrier_mask").agg(sums),
    }
    coded = {
        (source, codes): _coded(masks[source], codes, sums) for source in masks for codes in (1, 2)
    }
    parts = []
    for name, columns in ROLLUPS.items():
        barrier = [c for c in columns if c in BARRIER_COLUMNS]
        dimensions = [c for c in columns if c not in BARRIER_COLUMNS]
        if not barrier:
            part = plain.group_by("month", *dimensions).agg(sums)
        else:
            source = "municipality" if "municipality" in dimensions else "characteristics"
            part = coded[source, len(barrier)](dimensions)
        parts.append(part.with_columns(pl.lit(name, dtype=ROLLUP_ENUM).alias("rollup")))
    schema = {"month": plain.schema["month"], "rollup": ROLLUP_ENUM}
    schema |= dict.fromkeys(BARRIER_COLUMNS, BARRIER_ENUM)
    schema |= {column: plain.schema[column] for column in (*ROLLUP_DIMENSIONS, *measures)}
    return (
        pl.concat([pl.DataFrame(schema=schema), *parts], how="diagonal")
        .select(*schema)
        .sort(*ROLLUP_KEYS, nulls_last=False)
    )


def _coded(masks: pl.DataFrame, codes: int, sums: pl.Expr) -> Callable[[list[str]], pl.DataFrame]:
    """How the sums by month, ``dimensions`` and barrier code (``codes`` 1) or pair of codes
    (2) are formed from ``masks``: a few rows (a partial build's months) once per code their
    mask has, in one group-by per rollup (a group-by per code costs more there); many rows by
    filtering and grouping them per code (exploding them would cost more)."""
    if masks.height <= JOIN_ROWS:
        exploded = _with_codes(masks, codes)
        columns = BARRIER_COLUMNS[:codes]
        return lambda dimensions: exploded.group_by("month", *dimensions, *columns).agg(sums)
    return lambda dimensions: pl.concat(
        _having(masks, pair, dimensions, sums) for pair in CODE_GROUPS[codes]
    )


def _with_codes(masks: pl.DataFrame, codes: int) -> pl.DataFrame:
    """The rows of ``masks`` once per barrier code (``codes`` 1) or pair of codes
    (``BARRIER_PAIRS``, ``codes`` 2) whose every bit their mask has, the code(s) in
    ``BARRIER_COLUMNS``; rows whose mask has none are left out."""
    dtype = masks.schema["barrier_mask"]
    return masks.join(_codes_of_masks(codes).cast({"barrier_mask": dtype}), on="barrier_mask")


@cache
def _codes_of_masks(codes: int) -> pl.DataFrame:
    """Every barrier mask with each code (``codes`` 1) or pair of codes (2) it has."""
    found = [
        (mask, *pair)
        for mask in range(sum(BARRIER_BITS.values()) + 1)
        for pair in CODE_GROUPS[codes]
        if all(mask & BARRIER_BITS[code] for code in pair)
    ]
    schema = {"barrier_mask": pl.Int64} | dict.fromkeys(BARRIER_COLUMNS[:codes], BARRIER_ENUM)
    return pl.DataFrame(found, schema=schema, orient="row")


def _having(
    masks: pl.DataFrame, codes: tuple[str, ...], dimensions: list[str], sums: pl.Expr
) -> pl.DataFrame:
    """The sums by month and ``dimensions`` of the rows whose mask has every one of ``codes``,
    with the codes in ``BARRIER_COLUMNS``."""
    bits = sum(BARRIER_BITS[code] for code in codes)
    return (
        masks.filter((pl.col("barrier_mask") & bits) == bits)
        .group_by("month", *dimensions)
        .agg(sums)
        .with_columns(
            pl.lit(code, dtype=BARRIER_ENUM).alias(column)
            for code, column in zip(codes, BARRIER_COLUMNS, strict=False)
        )
    )
