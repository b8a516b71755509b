"""The § 48a SGB II figures over the columnar case copy: one implementation each.

Everything is built from one monthly table (``monthly_base``), a filter and a group-by over
the monthly cube (``teilhabe.cube``): per month (and per group of a breakdown) the ELB and
LZB stock, LZB by duration band, LZB in an active measure, single parents,
and the integrations of the month. The figures are windows over that table:

- K2 Integrationsquote: integrations in the 12 months up to M / average ELB stock of those months.
- K2E3 continuity: of the integrations in the 12 months ending 12 months before M (so that the
  following 12 months are known), the share still employed 12 months later.
- K2E4: K2 for single parents.
- K3: LZB stock in M compared with M - 12, as change in percent.
- K3E1: integrations of LZB in the 12 months / average LZB stock of those months.
- K3E2 Aktivierungsquote: LZB in an active labour-market measure in M / LZB stock in M.
- K1E2: ELB stock in M compared with M - 12, as change in percent (like K3).
- K1E3 / K1E4 average entry / exit rate of ELB: entries (exits) in the 12 months up to M / sum
  of the ELB stocks at the end of the month before each of them (M - 12 .. M - 1), in percent:
  the mean monthly rate, each month's flow against the stock it flowed into or out of.
- K3E3 / K3E4: the same for LZB.

Why this formula for K1E3 .. K3E4: the reference copy of the Verordnung zu § 48a SGB II
(``reference/README.md``) lists K2 and K3 only; the published definition of the "durchschnittliche
Zugangs-/Abgangsrate" is the sum of the entries (exits) of the last 12 months over the sum of
the stocks of the respective previous months. That is a flow-weighted mean of the 12 monthly
rates (a month with a larger stock weighs more), not a mean of 12 monthly ratios, and it needs
only published 12-month counts and published monthly stocks. Entries and exits are counted
between month ends (``cube._transitions``), so short interruptions within a month, which the
BA's own counting of spells may treat differently, do not appear.

Group membership (age group, number of barriers, the barrier filter, duration of receipt) is
taken in each month, as the BA's statistics do: the LZB with barrier "debts" in 03/2013 are those
who had it recorded then, and an integration counts for the group the person belonged to in the
month of the integration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from teilhabe import cube, selection, windows
from teilhabe.cases import Cases
from teilhabe.definitions import DISTRICT_DIGITS, LAND_DIGITS
from teilhabe.protection import Protection, key_column, publish_columns, rate
from teilhabe.selection import Filters
from teilhabe.windows import MONTHLY_STOCKS as MONTHLY_STOCKS
from teilhabe.windows import WINDOW as WINDOW
from teilhabe.windows import WINDOW_COUNTS as WINDOW_COUNTS

# The breakdowns: the cube's own columns, and the areas above the municipality.
CUBE_DIMENSIONS = ("municipality", "sex", "age_group", "duration", "barrier_count")
DIMENSIONS = (*CUBE_DIMENSIONS, "jobcenter", "land")
# Breakdowns by area above the municipality: the leading digits of its AGS (the cube has none).
AREA_DIGITS = {"jobcenter": DISTRICT_DIGITS, "land": LAND_DIGITS}

By = str | tuple[str, ...] | None


def _keys(by: By) -> list[str]:
    """The group columns of a breakdown: none, one dimension, or several (a cross table)."""
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    unknown = [k for k in keys if k not in DIMENSIONS]
    if unknown:
        raise ValueError(
            f"Unbekannte Aufgliederung {unknown[0]!r}; möglich: {', '.join(DIMENSIONS)}"
        )
    return keys


def monthly_base(
    cases: Cases, filters: Filters, first: int, last: int, by: By = None
) -> pl.DataFrame:
    """Per month from ``first`` to ``last`` (and per group of ``by``): stocks and integrations.

    Columns: [by], month, elb, lzb, lzb_under_2y, lzb_2_4y, lzb_4y_plus, lzb_measure,
    elb_single_parent, integrations, integrations_lzb, integrations_single_parent,
    integrations_<kind>, continuity_known, continued, elb_entries, elb_exits, lzb_entries,
    lzb_exits, each with its key sum
    (``protection.key_column``). All are exact counts, not yet published. Every group that
    occurs in the months has a row for each month (zeros where empty).
    """
    return _base_grid(cases, filters, first, last, by).frame()


BASE_MEASURES = (*cube.STOCKS, *cube.STOCK_KEYS, *cube.FLOWS, *cube.FLOW_KEYS)


@dataclass(frozen=True)
class _Grid:
    """``monthly_base`` as arrays: one row per group (``groups``, sorted as the frame), one
    column per month from ``first``, one layer per measure of ``BASE_MEASURES`` (Int64)."""

    keys: list[str]
    groups: pl.DataFrame
    first: int
    values: np.ndarray  # groups x months x measures

    def frame(self) -> pl.DataFrame:
        count, months, _ = self.values.shape
        flat = self.values.reshape(count * months, len(BASE_MEASURES))
        month = np.tile(np.arange(self.first, self.first + months, dtype=np.int32), count)
        columns = [
            *(self.groups[k].gather(np.repeat(np.arange(count), months)) for k in self.keys),
            pl.Series("month", month, dtype=pl.Int32),
            *(pl.Series(m, flat[:, i], dtype=pl.Int64) for i, m in enumerate(BASE_MEASURES)),
        ]
        return pl.DataFrame(columns)


# Up to this many rows the sums are formed in numpy; more (rows of the cells) are first summed
# by polars on its threads.
NUMPY_ROWS = 20_000


def _base_grid(cases: Cases, filters: Filters, first: int, last: int, by: By) -> _Grid:
    """The sums of ``monthly_base`` as a grid of arrays (no frame per month and group)."""
    keys = _keys(by)
    # a Jobcenter or Land is summed from its municipalities (a cube column)
    cube_keys = list(dict.fromkeys("municipality" if k in AREA_DIGITS else k for k in keys))
    parts = []
    for kind, measures in (
        ("stock", (*cube.STOCKS, *cube.STOCK_KEYS)),
        ("flow", (*cube.FLOWS, *cube.FLOW_KEYS)),
    ):
        plain, rollups = getattr(cases, f"{kind}_plain"), getattr(cases, f"{kind}_rollups")
        # the cells by barrier mask only for a barrier filter the rollups cannot answer
        # (``selection.cube_rows`` reads them for nothing else): an app process reads them on
        # first use (cube_store.ON_FIRST_USE)
        needs_cells = filters.barriers and not selection.from_rollups(filters, cube_keys)
        cells = getattr(cases, f"{kind}_cells") if needs_cells else plain
        # from the smallest rollup that can answer, else from the cells
        rows = selection.summable_rows(cells, plain, rollups, filters, first, last, cube_keys)
        if rows.height > NUMPY_ROWS or cube_keys != keys:
            rows = rows.group_by(*cube_keys, "month").agg(pl.col(*measures).sum().cast(pl.Int64))
        parts.append((rows, measures))
    grid = _numpy_grid(parts, keys, first, last) if cube_keys == keys else None
    return grid or _polars_grid(parts, keys, cube_keys, first, last)


def _numpy_grid(
    parts: list[tuple[pl.DataFrame, tuple[str, ...]]], keys: list[str], first: int, last: int
) -> _Grid | None:
    """The grid from rows whose keys are Enum columns without nulls (None for others): each
    row added to its group and month, key sums taken modulo 2^32 (as UInt32 sums wrap)."""
    ranks, names, ids = [], [], [np.zeros(frame.height, np.int64) for frame, _ in parts]
    for key in keys:
        dtype = parts[0][0][key].dtype
        if not isinstance(dtype, pl.Enum) or any(
            frame[key].dtype != dtype or frame[key].null_count() for frame, _ in parts
        ):
            return None
        categories = dtype.categories.to_numpy()
        order = np.argsort(categories, kind="stable")  # as text, as the frame is sorted
        rank = np.empty(len(categories), np.int64)
        rank[order] = np.arange(len(categories))
        ranks.append(len(categories))
        names.append(categories[order])
        for number, (frame, _) in enumerate(parts):
            ids[number] = ids[number] * len(categories) + rank[frame[key].to_physical().to_numpy()]
    present = np.unique(np.concatenate(ids)) if keys else np.zeros(1, np.int64)
    columns, rest = [], present
    for key, size, labels in reversed(list(zip(keys, ranks, names, strict=True))):
        columns.append(pl.Series(key, labels[rest % size].astype(str), dtype=pl.String))
        rest = rest // size
    groups = pl.DataFrame(columns[::-1]) if keys else pl.DataFrame()
    months = last - first + 1
    values = np.zeros((len(present), months, len(BASE_MEASURES)), np.int64)
    cells = values.reshape(len(present) * months, len(BASE_MEASURES))  # a view: one row a cell
    offset = 0
    for (frame, measures), found in zip(parts, ids, strict=True):
        if frame.height:
            cell = np.searchsorted(present, found) * months + frame["month"].to_numpy() - first
            # UInt32 (sums already formed by polars: Int64 below 2^32): summed as UInt32, so
            # that key sums wrap modulo 2^32 as polars sums them over the cells
            rows = frame.select(measures).to_numpy().astype(np.uint32, copy=False)
            order = np.argsort(cell, kind="stable")
            cell = cell[order]
            starts = np.flatnonzero(np.concatenate(([True], cell[1:] != cell[:-1])))
            rows = rows[order]
            if len(starts) < len(cell):  # several rows of a cell (group, month): their sums
                rows = np.add.reduceat(rows.T, starts, axis=1, dtype=np.uint32).T
            cells[cell[starts], offset : offset + len(measures)] = rows
        offset += len(measures)
    return _Grid(keys, groups, first, values)


def _polars_grid(
    parts: list[tuple[pl.DataFrame, tuple[str, ...]]],
    keys: list[str],
    cube_keys: list[str],
    first: int,
    last: int,
) -> _Grid:
    """The grid from the rows summed by polars (areas above the municipality, other keys)."""
    summed = []
    for rows, measures in parts:
        sums_ = rows
        if cube_keys != keys:
            sums_ = (
                sums_.with_columns(pl.col(cube_keys).cast(pl.String))
                .with_columns(
                    pl.col("municipality").str.slice(0, AREA_DIGITS[k]).alias(k)
                    for k in keys
                    if k in AREA_DIGITS
                )
                .group_by(*keys, "month")
                .agg(pl.col(*measures).sum())
            )
        else:
            sums_ = sums_.group_by(*keys, "month").agg(pl.col(*measures).sum().cast(pl.Int64))
            sums_ = sums_.with_columns(pl.col(*keys).cast(pl.String)) if keys else sums_
        summed.append((sums_, measures))
    months = last - first + 1
    if keys:
        groups = pl.concat([p.select(keys) for p, _ in summed]).unique().sort(keys)
    else:
        groups = pl.DataFrame()
    values = np.zeros((max(groups.height, 1), max(months, 0), len(BASE_MEASURES)), np.int64)
    offset = 0
    for sums_, measures in summed:
        if keys:  # as a left join of the grid: rows with a null key match no group
            sums_ = sums_.join(groups.with_row_index("_group"), on=keys)
            group = sums_["_group"].to_numpy()
        else:
            group = np.zeros(sums_.height, np.int64)
        month = sums_["month"].to_numpy().astype(np.int64) - first
        values[group, month, offset : offset + len(measures)] = sums_.select(
            pl.col(*measures).cast(pl.Int64)
        ).to_numpy()
        offset += len(measures)
    if keys and groups.height == 0:
        values = values[:0]
    return _Grid(keys, groups, first, values)


def figures_from_base(
    base: pl.DataFrame, protection: Protection, by: By = None, *, first: int | None = None
) -> pl.DataFrame:
    """The published figures of each month from the monthly table (``monthly_base``).

    Every count is published (``protection.publish``) with the cell key of exactly the records
    it counts: the monthly stocks per month, the 12-month counts with the key sum over the
    window. Rates are built from published counts only:

    - K2 = published integrations of the 12 months / mean of the 12 published monthly ELB
      stocks (likewise K2E4, K3E1 with their stocks);
    - K2E3 = published continued / published integrations with known continuity;
    - K3 = published LZB / published LZB a year before, as change in percent;
    - K3E2 = published LZB in a measure / published LZB;
    - K1E2 = published ELB / published ELB a year before, as change in percent;
    - K1E3 (K1E4) = published ELB entries (exits) of the 12 months / sum of the 12 published
      ELB stocks of the months before them (M - 12 .. M - 1), i.e. the mean monthly rate;
      likewise K3E3, K3E4 with the LZB entries, exits and stocks.

    A rate whose published denominator (the mean stock, for K2, K1E3 .. K3E4) is below
    ``protection.min_rate_base`` is null. Needs the 23 months before the first month of
    interest in ``base`` (for K2E3, K3 and K1E2); ``first`` drops the months before it early. The
    result has no key columns.
    """
    keys = _keys(by)
    ordered = base.sort(*keys, "month")
    if keys:  # the grid needs the same number of months in every group
        sizes = ordered.group_by(keys, maintain_order=True).len()
        groups, count = sizes.select(keys), sizes.height
        even = sizes.height > 0 and sizes["len"].n_unique() == 1
    else:
        groups, count, even = pl.DataFrame(), 1, ordered.height > 0
    if not even:
        return _figures_from_frame(ordered, protection, keys, first)
    months = ordered.height // count
    needed = dict.fromkeys(
        (
            *(m for s in MONTHLY_STOCKS for m in (s, key_column(s))),
            *(m for m, _ in WINDOW_COUNTS.values() for m in (m, key_column(m))),
        )
    )
    block = ordered.select(pl.col(*needed).cast(pl.Int64)).to_numpy()
    values = {m: block[:, i].reshape(count, months) for i, m in enumerate(needed)}
    month = ordered["month"].to_numpy().reshape(count, months)
    keep = np.ones_like(month, bool) if first is None else month >= first
    # the months of a group are ascending: the kept ones are the last of each group
    start = int(np.argmax(keep.any(axis=0))) if keep.any() else months
    columns, names = windows.figures(values, protection, int(keep.sum()), start)
    return windows.frame(groups, keys, month[:, start:], columns, names, keep[:, start:])


def _figures_from_frame(
    base: pl.DataFrame, protection: Protection, keys: list[str], first: int | None
) -> pl.DataFrame:
    """``figures_from_base`` with polars expressions, for a table whose groups have different
    numbers of months (``windows`` needs a grid)."""

    def over(expr: pl.Expr) -> pl.Expr:
        return expr.over(keys) if keys else expr

    def window_sum(column: str, shift: int) -> pl.Expr:
        expr = pl.col(column).cast(pl.Int64)
        return over((expr.shift(shift) if shift else expr).rolling_sum(WINDOW))

    monthly = publish_columns(base, MONTHLY_STOCKS, protection)
    windows = monthly.with_columns(
        *(
            expr
            for column, (measure, shift) in WINDOW_COUNTS.items()
            for expr in (
                window_sum(measure, shift).alias(column),
                window_sum(key_column(measure), shift).alias(key_column(column)),
            )
        ),
        elb_mean_12m=over(pl.col("elb").rolling_sum(WINDOW)) / WINDOW,
        lzb_mean_12m=over(pl.col("lzb").rolling_sum(WINDOW)) / WINDOW,
        elb_single_parent_mean_12m=over(pl.col("elb_single_parent").rolling_sum(WINDOW)) / WINDOW,
        lzb_year_before=over(pl.col("lzb").shift(WINDOW)),
        elb_year_before=over(pl.col("elb").shift(WINDOW)),
        # the stocks the entries and exits of the 12 months flowed into or out of
        elb_prev_mean_12m=over(pl.col("elb").shift(1).rolling_sum(WINDOW)) / WINDOW,
        lzb_prev_mean_12m=over(pl.col("lzb").shift(1).rolling_sum(WINDOW)) / WINDOW,
    )
    if first is not None:  # the months before are only needed for the windows above
        windows = windows.filter(pl.col("month") >= first)
    frame = publish_columns(windows, list(WINDOW_COUNTS), protection)
    frame = frame.with_columns(
        integration_rate=rate("integrations_12m", "elb_mean_12m", protection),
        continuity_rate=rate("continued_12m", "continuity_known_12m", protection),
        integration_rate_single_parents=rate(
            "integrations_single_parent_12m", "elb_single_parent_mean_12m", protection
        ),
        lzb_change=rate("lzb", "lzb_year_before", protection) - 100,
        integration_rate_lzb=rate("integrations_lzb_12m", "lzb_mean_12m", protection),
        activation_rate_lzb=rate("lzb_measure", "lzb", protection),
        elb_change=rate("elb", "elb_year_before", protection) - 100,
        **{
            f"{stock}_{kind}_rate": rate(
                pl.col(f"{stock}_{flow}_12m") / WINDOW, f"{stock}_prev_mean_12m", protection
            )
            for stock in ("elb", "lzb")
            for kind, flow in (("entry", "entries"), ("exit", "exits"))
        },
    )
    return frame.drop([c for c in frame.columns if c.endswith("__key")]).drop(
        [m for m in cube.FLOWS if m in frame.columns]
    )


def figures_series(
    cases: Cases,
    filters: Filters,
    as_of: int,
    first: int,
    protection: Protection,
    by: By = None,
    only: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Published monthly figures from ``first`` to ``as_of`` (``only``: of those months just
    these, the same values)."""
    grid = _base_grid(cases, filters, first - 2 * WINDOW, as_of, by)
    count, months, _ = grid.values.shape
    start = 2 * WINDOW  # the months before ``first`` are history for the windows
    if count == 0 or months <= start:
        published = figures_from_base(grid.frame(), protection, by, first=first)
        return published if only is None else published.filter(pl.col("month").is_in(only))
    values = {m: grid.values[:, :, i] for i, m in enumerate(BASE_MEASURES)}
    month = np.broadcast_to(
        np.arange(grid.first, grid.first + months, dtype=np.int32), (count, months)
    )
    kept = count * (months - start)  # the rates are formed on every month from ``first`` on
    columns, names = windows.figures(values, protection, kept, start)
    shown = month[:, start:] >= first
    if only is not None:
        shown = shown & np.isin(month[:, start:], np.asarray(only))
    return windows.frame(grid.groups, grid.keys, month[:, start:], columns, names, shown)
