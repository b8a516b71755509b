"""The figures of ``indicators.figures_from_base`` computed on a grid of arrays (numpy).

A filter change asks for a few dozen small tables (a trend, headline figures, breakdowns); each
is a grid of groups x months of counts and key sums. The 12-month windows, the publishing
through the cell key (``protection.deviations``, the same table as ``publish_columns``) and the
rates are plain array arithmetic on that grid: the same integer sums and the same floating-point
operations in the same order as the polars expressions of ``indicators`` (whose results they
equal to the last digit, see ``tests/test_windows.py``), without the fixed cost of a polars
query per step.

The grid holds, per group, the same number of consecutive rows (months); windows run along the
rows of a group, as ``rolling_sum(...).over(keys)`` does over a frame sorted by group and month.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from teilhabe import cube
from teilhabe.protection import Protection, deviations, key_column

WINDOW = 12
MONTHLY_STOCKS = cube.STOCKS
# Counts over the 12 months up to the month: published column -> (monthly measure, shift).
WINDOW_COUNTS = {
    "integrations_12m": ("integrations", 0),
    "integrations_lzb_12m": ("integrations_lzb", 0),
    "integrations_single_parent_12m": ("integrations_single_parent", 0),
    "integrations_employment_12m": ("integrations_employment", 0),
    "integrations_training_12m": ("integrations_training", 0),
    "integrations_self_employment_12m": ("integrations_self_employment", 0),
    # K2E3: the integrations of the 12 months ending 12 months before (their year has passed)
    "continuity_known_12m": ("continuity_known", WINDOW),
    "continued_12m": ("continued", WINDOW),
    # K1E3, K1E4, K3E3, K3E4: entries into and exits from the stocks
    **{f"{flow}_12m": (flow, 0) for flow in cube.TRANSITIONS},
}
# The mean stocks and the stocks a year before (name -> stock, shift, mean over the window?).
DERIVED = {
    "elb_mean_12m": ("elb", 0, True),
    "lzb_mean_12m": ("lzb", 0, True),
    "elb_single_parent_mean_12m": ("elb_single_parent", 0, True),
    "lzb_year_before": ("lzb", WINDOW, False),
    "elb_year_before": ("elb", WINDOW, False),
    "elb_prev_mean_12m": ("elb", 1, True),
    "lzb_prev_mean_12m": ("lzb", 1, True),
}
# Rates: name -> (numerator, denominator, numerator divided by the window first, minus 100).
RATE_PARTS = {
    "integration_rate": ("integrations_12m", "elb_mean_12m", False, False),
    "continuity_rate": ("continued_12m", "continuity_known_12m", False, False),
    "integration_rate_single_parents": (
        "integrations_single_parent_12m",
        "elb_single_parent_mean_12m",
        False,
        False,
    ),
    "lzb_change": ("lzb", "lzb_year_before", False, True),
    "integration_rate_lzb": ("integrations_lzb_12m", "lzb_mean_12m", False, False),
    "activation_rate_lzb": ("lzb_measure", "lzb", False, False),
    "elb_change": ("elb", "elb_year_before", False, True),
    **{
        f"{stock}_{kind}_rate": (f"{stock}_{flow}_12m", f"{stock}_prev_mean_12m", True, False)
        for stock in ("elb", "lzb")
        for kind, flow in (("entry", "entries"), ("exit", "exits"))
    },
}

# A column of the grid: its values (groups x months) and where they are defined (months).
Column = tuple[np.ndarray, np.ndarray]


def _rolling(values: np.ndarray, shift: int) -> Column:
    """Sum over the 12 rows ending ``shift`` rows before, per group (row); defined from the
    row ``shift + 11`` on (``shift(shift).rolling_sum(12)``)."""
    groups, months = values.shape
    sums = np.zeros((groups, months), np.int64)
    valid = np.arange(months) >= shift + WINDOW - 1
    if valid.any():
        running = np.zeros((groups, months + 1), np.int64)
        np.cumsum(values, axis=1, out=running[:, 1:])
        ends = np.flatnonzero(valid) - shift + 1
        sums[:, valid] = running[:, ends] - running[:, ends - WINDOW]
    return sums, valid


def _window_counts(values: dict[str, np.ndarray], start: int) -> tuple[np.ndarray, np.ndarray]:
    """The sums of ``WINDOW_COUNTS`` and then of their key sums (``_rolling`` of each, all at
    once) in the months from index ``start`` on: sums (counts, groups, months) and where they
    are defined (counts, months)."""
    measures = [measure for measure, _ in WINDOW_COUNTS.values()]
    grid = np.stack([values[m] for m in measures] + [values[key_column(m)] for m in measures])
    count, groups, months = grid.shape
    running = np.zeros((count, groups, months + 1), np.int64)
    np.cumsum(grid, axis=2, out=running[:, :, 1:])
    shifts = np.array([shift for _, shift in WINDOW_COUNTS.values()] * 2)
    # the window of month t ends with the month t - shift: rows up to (excluding) ``ends``
    ends = np.arange(start, months)[None, :] - shifts[:, None] + 1
    defined = ends >= WINDOW
    upper = np.where(defined, ends, 0)[:, None, :]  # undefined: 0 - 0
    lower = np.where(defined, ends - WINDOW, 0)[:, None, :]
    sums = np.take_along_axis(running, upper, axis=2) - np.take_along_axis(running, lower, axis=2)
    return sums, defined


def _shifted(values: np.ndarray, shift: int) -> Column:
    months = values.shape[1]
    moved = np.zeros_like(values)
    if shift < months:
        moved[:, shift:] = values[:, : months - shift]
    return moved, np.arange(months) >= shift


def _per_month(total: np.ndarray, rows: int) -> np.ndarray:
    """``total / 12`` as polars computes it on a column of ``rows`` rows: a column of more
    than one row is multiplied by the reciprocal (which may differ in the last bit)."""
    return total * (1.0 / WINDOW) if rows > 1 else total / WINDOW


def _published(counts: np.ndarray, keys: np.ndarray, protection: Protection) -> np.ndarray:
    """``protection.publish_columns`` on arrays: count plus its deviation (exact: the count)."""
    return counts if protection.exact else counts + deviations(counts, keys)


def _rate(numerator: Column, denominator: Column, protection: Protection) -> np.ndarray:
    """``protection.rate`` on arrays (percent); NaN where the rate is null."""
    (top, top_valid), (bottom, bottom_valid) = numerator, denominator
    shown = bottom > 0 if protection.exact else bottom >= max(protection.min_rate_base, 1)
    shown = shown & top_valid & bottom_valid
    result = np.full(np.broadcast_shapes(top.shape, bottom.shape), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = top / bottom * 100.0
    result[shown] = ratio[shown]
    return result


def figures(
    values: dict[str, np.ndarray], protection: Protection, kept: int, start: int = 0
) -> tuple[dict[str, Column], list[str]]:
    """Every published column of ``figures_from_base`` on the grid ``values`` (measure or key
    column -> groups x months, Int64), for the months from index ``start`` on (the ones before
    are history for the windows): name -> (values, defined months), and the names in the order
    of the frame (rates as float with NaN where null). ``kept``: the number of rows the frame
    keeps (the rates are formed on those, the mean stocks on the whole grid)."""
    groups, months = next(iter(values.values())).shape
    every = np.ones(months - start, bool)
    # the stocks from a year before ``start`` on: the windows of the months kept need no more
    history = max(start - WINDOW, 0)
    stocks = _published(
        np.stack([values[m][:, history:] for m in MONTHLY_STOCKS]),
        np.stack([values[key_column(m)][:, history:] for m in MONTHLY_STOCKS]),
        protection,
    )
    skip = start - history
    columns: dict[str, Column] = {
        m: (stocks[i][:, skip:], every) for i, m in enumerate(MONTHLY_STOCKS)
    }
    counts, valid = _window_counts(values, start)
    width = len(WINDOW_COUNTS)
    windows = _published(counts[:width], counts[width:], protection)
    for i, name in enumerate(WINDOW_COUNTS):
        columns[name] = (windows[i], valid[i])
    for name, (stock, shift, mean) in DERIVED.items():
        index = MONTHLY_STOCKS.index(stock)
        if mean:  # defined in the months kept whenever defined on the whole grid (see above)
            total, defined = _rolling(stocks[index], shift)
            columns[name] = (_per_month(total, groups * months)[:, skip:], defined[skip:])
        else:
            moved, defined = _shifted(stocks[index], shift)
            columns[name] = (moved[:, skip:], defined[skip:])
    for name, (top, bottom, per_month, minus) in RATE_PARTS.items():
        numerator = columns[top]
        if per_month:
            numerator = (_per_month(numerator[0], kept), numerator[1])
        result = _rate(numerator, columns[bottom], protection)
        columns[name] = (result - 100 if minus else result, every)
    return columns, [*MONTHLY_STOCKS, *WINDOW_COUNTS, *DERIVED, *RATE_PARTS]


def frame(
    groups: pl.DataFrame,
    keys: Sequence[str],
    month: np.ndarray,
    columns: dict[str, Column],
    names: list[str],
    keep: np.ndarray,
) -> pl.DataFrame:
    """The figures as a frame: the group columns, month, ``names``; rows in group-major order,
    only the months where ``keep`` (groups x months) holds."""
    months = month.shape[1]
    rows = np.flatnonzero(keep.reshape(-1))
    blocks = []
    for floats in (False, True):
        chosen = [n for n in names if (columns[n][0].dtype.kind == "f") == floats]
        values = np.empty((len(chosen), len(rows)), np.float64 if floats else np.int64)
        missing = np.zeros((len(chosen), len(rows)), bool)
        for i, name in enumerate(chosen):
            grid, defined = columns[name]  # groups x months, and months
            values[i] = grid.reshape(-1)[rows]
            missing[i] = ~defined[rows % months]
        if not len(rows):
            block = pl.DataFrame(schema=dict.fromkeys(chosen, pl.Float64 if floats else pl.Int64))
        elif floats:  # a null rate is NaN in the grid
            values[missing] = np.nan
            block = pl.DataFrame(values, schema=chosen, orient="col", nan_to_null=True)
        else:
            block = pl.DataFrame(values, schema=dict.fromkeys(chosen, pl.Int64), orient="col")
            if missing.any():
                block = block.with_columns(
                    block[name].scatter(np.flatnonzero(missing[i]), None)
                    for i, name in enumerate(chosen)
                    if missing[i].any()
                )
        blocks.append(block)
    index = pl.DataFrame(
        [
            *(groups[k].gather(rows // months) for k in keys),
            pl.Series("month", month.reshape(-1)[rows], dtype=pl.Int32),
        ]
    )
    return pl.concat([index, *blocks], how="horizontal").select(*keys, "month", *names)
