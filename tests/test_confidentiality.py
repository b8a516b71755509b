"""Statistical confidentiality: exact results on hand-made frames, and properties on random ones."""

from __future__ import annotations

import itertools

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.confidentiality import (
    FOOTNOTE,
    SUPPRESSED,
    SuppressedBreakdown,
    SuppressedTable,
    is_disclosive,
    rate_is_suppressed,
    suppress_breakdown,
    suppress_breakdown_with_total,
    suppress_counts,
    suppress_rate,
    suppress_rates,
    suppress_table,
)

FAST = settings(max_examples=200, deadline=None)


def breakdown(counts: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"municipality": [f"m{i}" for i in range(len(counts))], "n": counts})


def suppressed(counts: list[int], *, threshold: int = 3, total: int | None = None):
    result = suppress_breakdown_with_total(
        breakdown(counts),
        count_columns=["n"],
        threshold=threshold,
        total=None if total is None else {"n": total},
    )
    return result.frame["n"].to_list(), result.totals["n"]


def long_table(matrix: list[list[int]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"row": f"r{i}", "column": f"c{j}", "n": value}
            for i, line in enumerate(matrix)
            for j, value in enumerate(line)
        ]
    )


def table(matrix: list[list[int]], *, threshold: int = 3):
    """The suppressed table as (cells as a matrix, row totals, column totals, grand total)."""
    result = suppress_table(
        long_table(matrix), row="row", column="column", count="n", threshold=threshold
    )
    width = len(matrix[0])
    cells = result.cells["n"].to_list()
    return (
        [cells[i : i + width] for i in range(0, len(cells), width)],
        result.row_totals["n"].to_list(),
        result.column_totals["n"].to_list(),
        result.grand_total,
    )


# --- the existing public names ------------------------------------------------------------


def test_existing_names_are_unchanged() -> None:
    assert SUPPRESSED == "*"
    assert FOOTNOTE.startswith("* Aus Gründen der statistischen Geheimhaltung")
    assert [is_disclosive(v, threshold=3) for v in (None, 0, 1, 2, 3)] == [
        False,
        False,
        True,
        True,
        False,
    ]
    frame = pl.DataFrame({"a": [0, 1, 2, 3], "b": [2, 5, None, 1]})
    assert suppress_counts(frame, ["a", "b"], threshold=3).to_dict(as_series=False) == {
        "a": [0, None, None, 3],
        "b": [None, 5, None, None],
    }


# --- breakdowns: worked by hand -----------------------------------------------------------


def test_a_single_one_takes_the_smallest_visible_count_along() -> None:
    # 1 is primary; total 22 - visible (7 + 0 + 9) = 6 would be the 1, so the smallest
    # non-zero visible count, 5, goes too: two hidden cells summing to 6.
    assert suppressed([5, 1, 7, 0, 9]) == ([None, None, 7, 0, 9], 22)


def test_a_single_two_among_large_counts() -> None:
    assert suppressed([40, 2, 35, 50]) == ([40, None, None, 50], 127)


def test_two_ones_summing_below_the_threshold_take_a_third_cell() -> None:
    # 1 + 1 = 2 would follow from the total; the next smallest, 7, makes it 9 over three cells.
    assert suppressed([1, 1, 7, 0, 9]) == ([None, None, None, 0, 9], 18)


def test_hidden_cells_that_could_only_be_ones_take_another_cell() -> None:
    # Three "*" summing to 3 (>= threshold) would still be three ones, since a "*" is never 0.
    assert suppressed([1, 1, 1, 0, 9]) == ([None, None, None, 0, None], 12)
    # Summing to 4 over three cells leaves each between 1 and 2: not derivable.
    assert suppressed([1, 1, 2, 0, 9]) == ([None, None, None, 0, 9], 13)


def test_ties_go_to_the_first_row() -> None:
    assert suppressed([6, 1, 6, 6]) == ([None, None, 6, 6], 19)


def test_zeros_are_never_complements() -> None:
    assert suppressed([0, 1, 0, 0, 20]) == ([0, None, 0, 0, None], 21)


def test_nothing_to_protect() -> None:
    assert suppressed([0, 3, 10, 0]) == ([0, 3, 10, 0], 13)
    assert suppressed([]) == ([], 0)


def test_a_small_total_is_suppressed_with_its_cells() -> None:
    assert suppressed([1, 0, 1]) == ([None, 0, None], None)
    # Three "*" under a visible 3 would be three ones, and there is nothing else to hide.
    assert suppressed([1, 1, 1]) == ([None, None, None], None)
    assert suppressed([0, 0, 0]) == ([0, 0, 0], 0)


def test_a_given_total_above_the_row_sum_hides_a_remainder() -> None:
    # 30 - (1 + 8 + 9) = 12 unlisted clients: the reader learns only 1 + 12 = 13.
    assert suppressed([1, 8, 9], total=30) == ([None, 8, 9], 30)
    # 24 - 22 = 2 unlisted clients would follow from the visible total: protect them too.
    assert suppressed([5, 8, 9], total=24) == ([None, 8, 9], 24)
    # A large remainder alone is harmless.
    assert suppressed([5, 8, 9], total=40) == ([5, 8, 9], 40)


def test_columns_are_protected_independently_and_keep_their_dtypes() -> None:
    frame = pl.DataFrame(
        {"m": ["a", "b", "c"], "elb": [10, 2, 30], "lzb": [4, 5, 6]},
        schema={"m": pl.String, "elb": pl.UInt32, "lzb": pl.Int16},
    )
    result = suppress_breakdown_with_total(
        frame, count_columns=["elb", "lzb"], threshold=3, total={"lzb": 17}
    )
    assert isinstance(result, SuppressedBreakdown)
    assert result.frame.schema == frame.schema
    # elb: the 2 takes the 10 along. lzb: 17 - 15 = 2 clients in no listed municipality
    # would follow from the given total, so the smallest count, 4, hides with them.
    assert result.frame.to_dict(as_series=False) == {
        "m": ["a", "b", "c"],
        "elb": [None, None, 30],
        "lzb": [None, 5, 6],
    }
    assert result.totals == {"elb": 42, "lzb": 17}
    assert suppress_breakdown(frame, count_columns=["elb", "lzb"], threshold=3).equals(
        suppress_breakdown_with_total(frame, count_columns=["elb", "lzb"], threshold=3).frame
    )


def test_breakdown_rejects_what_it_cannot_protect() -> None:
    with pytest.raises(ValueError, match="nulls"):
        suppressed_frame = breakdown([1, 2]).with_columns(pl.lit(None, pl.Int64).alias("n"))
        suppress_breakdown(suppressed_frame, count_columns=["n"], threshold=3)
    with pytest.raises(ValueError, match="smaller than the sum"):
        suppressed([5, 5], total=9)
    with pytest.raises(ValueError, match="negative"):
        suppressed([5, -1])


# --- tables: worked by hand ---------------------------------------------------------------


def test_a_table_worked_by_hand() -> None:
    #       c0  c1  c2 |  Σ
    #  r0    1   5   8 | 14      primary: the 1
    #  r1    4   6   9 | 19      row r0 needs a second "*": 5 (smallest); column c0: 4;
    #  r2    7   3  10 | 20      column c1 (5 hidden): 3; row r1 (4 hidden): 6; row r2
    #  Σ    12  14  27 | 53      (3 hidden): 7. Columns c0, c1 now hold three "*" each.
    # The audit finds the 1 free (it can be anything from 1 to 5 with the others adjusting).
    assert table([[1, 5, 8], [4, 6, 9], [7, 3, 10]]) == (
        [[None, None, 8], [None, None, 9], [None, None, 10]],
        [14, 19, 20],
        [12, 14, 27],
        53,
    )


def test_a_hidden_margin_beside_visible_cells_takes_one_along() -> None:
    #       c0  c1 |  Σ
    #  r0    0   1 |  1     primary: the 1, row total r0 and column total c1.
    #  r1    3   0 |  3     Margin lines: r1's total 3 and c0's total 3 hide with them; then
    #  Σ     3   1 |  4     row r1 has a hidden total next to visible cells (3 + 0), so its 3 goes.
    assert table([[0, 1], [3, 0]]) == ([[0, None], [None, 0]], [None, None], [None, None], 4)


def test_the_audit_catches_a_bound_across_lines() -> None:
    #       c0  c1  c2 |  Σ
    #  r0    1   1   6 |  8    Line by line, all cells but the 0 and the totals c0 (2) and
    #  r1    1   0   6 |  7    c1 (1) end up hidden. Yet c0 + c1 = 15 - 12 = 3 while c0 holds
    #  Σ     2   1  12 | 15    two "*" (>= 2) and c1 one (>= 1): c1 = 1 and c0 = 2 follow.
    # The audit finds that, and suppression spreads until nothing small is pinned.
    cells, rows, columns, grand = table([[1, 1, 6], [1, 0, 6]])
    assert cells == [[None, None, None], [None, 0, None]]
    assert (rows, columns, grand) == ([None, None], [None, None, None], 15)


def test_table_result_shape_and_dtypes() -> None:
    frame = pl.DataFrame(
        {"g": ["a", "a", "b"], "k": [2020, 2021, 2020], "n": [5, 1, 7], "extra": ["x", "y", "z"]},
        schema={"g": pl.String, "k": pl.Int32, "n": pl.UInt16, "extra": pl.String},
    )
    result = suppress_table(frame, row="g", column="k", count="n", threshold=3)
    assert isinstance(result, SuppressedTable)
    #        2020 2021 |  Σ
    #  a        5    1 |  6     (b, 2021) is missing, so zero. Primary: the 1 and its column
    #  b        7    0 |  7     total. Row a takes the 5 along, column 2020 the 7; row b then
    #  Σ       12    1 | 13     has no other non-zero cell, so its total goes; the margin lines
    #                           take the other row total and the other column total along.
    assert result.cells.schema == frame.schema
    assert result.cells.to_dict(as_series=False) == {
        "g": ["a", "a", "b"],
        "k": [2020, 2021, 2020],
        "n": [None, None, None],
        "extra": ["x", "y", "z"],
    }
    assert result.row_totals.schema == pl.Schema({"g": pl.String, "n": pl.Int64})
    assert result.column_totals.schema == pl.Schema({"k": pl.Int32, "n": pl.Int64})
    assert result.row_totals["n"].to_list() == [None, None]
    assert result.column_totals["n"].to_list() == [None, None]
    assert result.grand_total == 13


def test_table_rejects_what_it_cannot_protect() -> None:
    with pytest.raises(ValueError, match="more than one"):
        suppress_table(
            pl.DataFrame({"r": ["a", "a"], "c": ["x", "x"], "n": [1, 2]}),
            row="r",
            column="c",
            count="n",
            threshold=3,
        )
    with pytest.raises(ValueError, match="nulls"):
        suppress_table(
            pl.DataFrame({"r": ["a"], "c": ["x"], "n": [None]}, schema_overrides={"n": pl.Int64}),
            row="r",
            column="c",
            count="n",
            threshold=3,
        )


# --- rates --------------------------------------------------------------------------------


def test_suppress_rate() -> None:
    assert suppress_rate(5, 20, threshold=3) == 25.0
    assert suppress_rate(5, 20, threshold=3, scale=1.0) == 0.25
    assert suppress_rate(0, 20, threshold=3) == 0.0
    for numerator, denominator in [(2, 20), (None, 20), (5, None), (1, 2), (0, 2)]:
        assert suppress_rate(numerator, denominator, threshold=3) is None
        assert rate_is_suppressed(numerator, denominator, threshold=3)
    assert suppress_rate(0, 0, threshold=3) is None
    assert not rate_is_suppressed(0, 0, threshold=3)  # undefined: "–", not "*"


def test_suppress_rates_tells_suppressed_from_undefined() -> None:
    frame = pl.DataFrame(
        {
            "integrations": [5, 2, None, 0, 0, 7, None],
            "elb": [20, 20, 20, 20, 0, 1, 0],
        }
    )
    result = suppress_rates(
        frame, numerator="integrations", denominator="elb", rate="quote", threshold=3
    )
    assert result.columns == ["integrations", "elb", "quote", "quote_suppressed"]
    assert result["quote"].to_list() == [25.0, None, None, 0.0, None, None, None]
    assert result["quote_suppressed"].to_list() == [False, True, True, False, False, True, True]
    assert result["quote"].dtype == pl.Float64
    scalar = [
        suppress_rate(n, d, threshold=3)
        for n, d in zip(frame["integrations"], frame["elb"], strict=True)
    ]
    assert scalar == result["quote"].to_list()


# --- properties ---------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=15)
thresholds = st.integers(min_value=3, max_value=5)


@FAST
@given(
    values=st.lists(counts, max_size=8),
    threshold=thresholds,
    remainder=st.none() | st.integers(min_value=0, max_value=6),
)
def test_breakdown_properties(values: list[int], threshold: int, remainder: int | None) -> None:
    total = None if remainder is None else sum(values) + remainder
    shown, shown_total = suppressed(values, threshold=threshold, total=total)
    true_total = sum(values) + (remainder or 0)
    assert suppressed(values, threshold=threshold, total=total) == (shown, shown_total)  # (d)

    visible = [v for v in shown if v is not None]
    hidden = [v for v, s in zip(values, shown, strict=True) if s is None]
    assert all(s is None or s == v for v, s in zip(values, shown, strict=True))
    assert shown_total in (None, true_total)
    # (a) nothing small is visible, the total included
    assert not any(is_disclosive(v, threshold=threshold) for v in [*visible, shown_total])
    # (b) zeros are never suppressed
    assert all(s == 0 for v, s in zip(values, shown, strict=True) if v == 0)
    # (c) nothing small follows from the total: the reader learns total - visible, the sum of
    # the hidden cells (and the remainder); that must be over at least two unknowns, at least
    # the threshold, and more than the hidden cells' floor of 1 each.
    unknowns = len(hidden) + (remainder is not None and remainder > 0)
    protect = hidden or is_disclosive(remainder, threshold=threshold)
    if protect and shown_total is not None:
        derivable = shown_total - sum(visible)
        assert unknowns >= 2
        assert derivable >= threshold
        assert derivable > len(hidden)
    if shown_total is None:  # only as a last resort: no non-zero cell was left to hide
        assert all(s is None for v, s in zip(values, shown, strict=True) if v > 0)


matrices = st.integers(min_value=1, max_value=4).flatmap(
    lambda width: st.lists(st.lists(counts, min_size=width, max_size=width), min_size=1, max_size=4)
)


def table_lines(matrix, shown):
    """Each line of a table as (true elements, shown elements, true total, shown total)."""
    cells, rows, columns, grand = shown
    row_sums = [sum(r) for r in matrix]
    column_sums = [sum(c) for c in zip(*matrix, strict=True)]
    total = sum(row_sums)
    for i in range(len(matrix)):
        yield matrix[i], cells[i], row_sums[i], rows[i]
    for j in range(len(matrix[0])):
        yield [r[j] for r in matrix], [r[j] for r in cells], column_sums[j], columns[j]
    yield row_sums, rows, total, grand
    yield column_sums, columns, total, grand


@FAST
@given(matrix=matrices, threshold=thresholds)
def test_table_properties(matrix: list[list[int]], threshold: int) -> None:
    shown = table(matrix, threshold=threshold)
    assert table(matrix, threshold=threshold) == shown  # (d)
    for true, visible, true_total, shown_total in table_lines(matrix, shown):
        pairs = list(zip(true, visible, strict=True))
        assert all(s is None or s == t for t, s in pairs)
        assert shown_total in (None, true_total)
        # (a) nothing small is visible; (b) zeros are never suppressed
        for t, s in [*pairs, (true_total, shown_total)]:
            assert not is_disclosive(s, threshold=threshold)
            assert t != 0 or s == 0
        # (c) per line, nothing small by subtraction
        hidden = [t for t, s in pairs if s is None]
        if shown_total is None:
            # a hidden total has a hidden element beside it, else it is their visible sum
            assert hidden or true_total == 0
        elif hidden:
            derivable = shown_total - sum(s for _, s in pairs if s is not None)
            assert len(hidden) >= 2
            assert derivable >= threshold
            assert derivable > len(hidden)


def alternative_values(matrix, shown, *, watch, cap: int) -> dict[tuple, set[int]]:
    """Values each element in ``watch`` takes over tables consistent with everything shown.

    Independent of the module's linear programming: a depth-first search over the hidden cells
    (each 1..cap, true value first, then outwards), pruned by the visible totals (the cells
    still to come need at least 1 each); hidden totals follow from the cells. Stops once every
    element in ``watch`` has taken two values.
    """
    cells, rows, columns, grand = shown
    n_rows, n_columns = len(matrix), len(matrix[0])
    hidden_cells = [(i, j) for i in range(n_rows) for j in range(n_columns) if cells[i][j] is None]
    # Per hidden cell: how many hidden cells of its row / column / the table come after it.
    later = [
        (
            sum(1 for i2, _ in hidden_cells[k + 1 :] if i2 == i),
            sum(1 for _, j2 in hidden_cells[k + 1 :] if j2 == j),
            len(hidden_cells) - k - 1,
        )
        for k, (i, j) in enumerate(hidden_cells)
    ]
    seen: dict[tuple, set[int]] = {key: set() for key in watch}
    grid = [[v if v is not None else 0 for v in line] for line in cells]

    def value_of(key: tuple) -> int:
        if key[0] == "cell":
            return grid[key[1]][key[2]]
        if key[0] == "row":
            return sum(grid[key[1]])
        if key[0] == "column":
            return sum(r[key[1]] for r in grid)
        return sum(map(sum, grid))

    def fits(total: int | None, partial: int, still_to_come: int) -> bool:
        """A visible total leaves room for the cells still to come, and is met by the last."""
        if total is None:
            return True
        return partial + still_to_come <= total and (still_to_come or partial == total)

    def search(k: int) -> bool:
        if k == len(hidden_cells):
            for key in watch:
                seen[key].add(value_of(key))
            return all(len(values) >= 2 for values in seen.values())
        i, j = hidden_cells[k]
        in_row, in_column, in_table = later[k]
        for value in sorted(range(1, cap + 1), key=lambda v: (abs(v - matrix[i][j]), v)):
            grid[i][j] = value
            if (
                fits(rows[i], sum(grid[i]), in_row)
                and fits(columns[j], sum(r[j] for r in grid), in_column)
                and fits(grand, sum(map(sum, grid)), in_table)
                and search(k + 1)
            ):
                return True
        grid[i][j] = 0
        return False

    search(0)
    return seen


# Up to six cells (1x1 .. 2x3, 3x2): the brute force stays fast; the audit is the same code
# for every size.
small_matrices = st.sampled_from(
    [(r, c) for r in (1, 2, 3) for c in (1, 2, 3) if r * c <= 6]
).flatmap(
    lambda shape: st.lists(
        st.lists(counts, min_size=shape[1], max_size=shape[1]),
        min_size=shape[0],
        max_size=shape[0],
    )
)


@FAST
@given(matrix=small_matrices, threshold=thresholds)
def test_no_small_count_follows_from_the_whole_table(
    matrix: list[list[int]], threshold: int
) -> None:
    """Beyond single lines: every hidden small count can take two values in some table that
    agrees with everything shown (found by brute force, not by the module's simplex)."""
    shown = table(matrix, threshold=threshold)
    true_values = {
        **{("cell", i, j): v for i, line in enumerate(matrix) for j, v in enumerate(line)},
        **{("row", i): sum(line) for i, line in enumerate(matrix)},
        **{("column", j): sum(c) for j, c in enumerate(zip(*matrix, strict=True))},
        ("grand",): sum(map(sum, matrix)),
    }
    cells, rows, columns, grand = shown
    hidden = [
        *(("cell", i, j) for i, line in enumerate(cells) for j, v in enumerate(line) if v is None),
        *(("row", i) for i, v in enumerate(rows) if v is None),
        *(("column", j) for j, v in enumerate(columns) if v is None),
        *([("grand",)] if grand is None else []),
    ]
    watch = [key for key in hidden if is_disclosive(true_values[key], threshold=threshold)]
    found = alternative_values(matrix, shown, watch=watch, cap=sum(map(sum, matrix)) + 2)
    for key in watch:
        assert true_values[key] in found[key]
        assert len(found[key]) >= 2, f"{key} = {true_values[key]} follows from {shown}"


def test_table_result_depends_on_label_order_not_names() -> None:
    """Same values, same label order: same result, whatever the labels are called."""
    matrix = [[1, 5, 8], [4, 6, 9], [7, 3, 10]]
    renamed = long_table(matrix).with_columns(
        pl.col("row").replace({"r0": "Zeta", "r1": "Alpha", "r2": "Mu"})
    )
    result = suppress_table(renamed, row="row", column="column", count="n", threshold=3)
    assert result.cells["n"].to_list() == list(itertools.chain(*table(matrix)[0]))
