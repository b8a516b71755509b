"""Statistical confidentiality, applied in the data layer beneath every figure.

The rule of the Statistik der Bundesagentur für Arbeit: counts of 1 or 2 (generally: from 1 to
threshold - 1) are not shown, nor anything from which they can be derived. A suppressed count is
null in a frame and "*" on screen and in exports; a true zero stays visible.

Three layers, from simple to involved:

* ``suppress_counts`` -- primary suppression only: every count in 1..threshold-1 becomes null.
  Enough for figures that stand alone (no total or neighbour from which they could be derived).
* ``suppress_breakdown`` / ``suppress_breakdown_with_total`` -- a one-dimensional breakdown
  (rows = categories that partition a population) shown together with its total: primary plus
  secondary suppression ("Sekundärsperrung") so that no suppressed count follows from
  total minus the visible cells.
* ``suppress_table`` -- a two-dimensional cross table with row, column and grand totals: the same
  per line (row or column), iterated until stable, and then audited by linear programming so that
  no small count follows from any combination of the published numbers either.

Rates (``suppress_rate``, ``suppress_rates``) are suppressed when their numerator or denominator
is suppressed or small, and are undefined (also null) when the denominator is zero; the frame
version says which of the two a null is, so a page can show "*" for suppressed and "–" for
undefined.

Knowledge assumed of a reader trying to undo the suppression: all published numbers, and that
every suppressed count is at least 1 -- zeros are never suppressed, so a "*" is never a zero.
The functions take exact counts; nulls in their input are rejected rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import NamedTuple

import polars as pl

_Exact = int | Fraction  # simplex arithmetic: exact, ints as long as pivots are +-1

SUPPRESSED = "*"
FOOTNOTE = (
    "* Aus Gründen der statistischen Geheimhaltung werden Zahlenwerte von 1 oder 2 und Daten, "
    "aus denen rechnerisch auf einen solchen Zahlenwert geschlossen werden kann, nicht angezeigt."
)


def footnote(threshold: int) -> str:
    """The BA's footnote for the configured threshold (``FOOTNOTE`` for the default 3)."""
    if threshold == 3:
        return FOOTNOTE
    small = "1" if threshold == 2 else f"1 bis {threshold - 1}"
    return FOOTNOTE.replace("von 1 oder 2", f"von {small}")


def is_disclosive(count: int | None, *, threshold: int) -> bool:
    return count is not None and 0 < count < threshold


def suppress_counts(frame: pl.DataFrame, columns: Iterable[str], *, threshold: int) -> pl.DataFrame:
    """Primary suppression: counts from 1 to threshold - 1 become null."""
    return frame.with_columns(
        pl.when(pl.col(c).is_between(1, threshold - 1)).then(None).otherwise(pl.col(c)).alias(c)
        for c in columns
    )


# --------------------------------------------------------------------------------------------
# One line: some cells and a visible total
# --------------------------------------------------------------------------------------------


def _line_is_safe(
    values: Sequence[int], hidden: Collection[int], *, floors: Sequence[int], threshold: int
) -> bool:
    """Whether the hidden cells of a line with a visible total give nothing small away.

    A reader learns exactly one thing about the hidden cells: their sum (total minus the visible
    cells). That is harmless only if

    * at least two cells are hidden -- a single one *is* that sum;
    * the sum reaches the threshold -- else the sum itself is a small count;
    * the sum exceeds the least the hidden cells could hold (``floors``: 1 for a suppressed
      count, since zeros are never suppressed) -- else every hidden cell sits at its floor,
      e.g. three "*" summing to 3 are three ones.

    Then every hidden cell can take at least two values, whatever the reader does with this line.
    """
    if not hidden:
        return True
    hidden_sum = sum(values[i] for i in hidden)
    return (
        len(hidden) >= 2 and hidden_sum >= threshold and hidden_sum > sum(floors[i] for i in hidden)
    )


def _complements(
    values: Sequence[int],
    hidden: Collection[int],
    *,
    floors: Sequence[int],
    eligible: Iterable[int],
    threshold: int,
) -> list[int] | None:
    """The further cells to suppress so that the line is safe; None if no choice makes it safe.

    Greedy: the smallest non-zero visible cell first, ties by position, so the loss of
    information is small and the result deterministic. Zeros are never taken -- a zero is not
    sensitive, and hiding it adds nothing to the hidden sum.
    """
    if _line_is_safe(values, hidden, floors=floors, threshold=threshold):
        return []  # the common case (e.g. nothing hidden), without sorting the candidates
    chosen = list(hidden)
    candidates = sorted(
        (i for i in eligible if i not in hidden and values[i] > 0), key=lambda i: (values[i], i)
    )
    extra: list[int] = []
    for i in candidates:
        if _line_is_safe(values, chosen, floors=floors, threshold=threshold):
            break
        chosen.append(i)
        extra.append(i)
    return extra if _line_is_safe(values, chosen, floors=floors, threshold=threshold) else None


# --------------------------------------------------------------------------------------------
# One-dimensional breakdowns
# --------------------------------------------------------------------------------------------


class SuppressedBreakdown(NamedTuple):
    """A suppressed breakdown and its totals; a total is None where it must be shown as "*"."""

    frame: pl.DataFrame
    totals: dict[str, int | None]


def suppress_breakdown(
    frame: pl.DataFrame,
    *,
    count_columns: Sequence[str],
    threshold: int,
    total: Mapping[str, int] | None = None,
) -> pl.DataFrame:
    """Primary and secondary suppression of a breakdown shown next to its total.

    Only the frame; see ``suppress_breakdown_with_total`` for the parameters and the algorithm.
    Use that one wherever the total is displayed: in rare cases (a total of 1..threshold-1, or
    cells 1, 1, 1 under a total of 3) the total has to be suppressed as well, which only it
    reports.
    """
    return suppress_breakdown_with_total(
        frame, count_columns=count_columns, threshold=threshold, total=total
    ).frame


def suppress_breakdown_with_total(
    frame: pl.DataFrame,
    *,
    count_columns: Sequence[str],
    threshold: int,
    total: Mapping[str, int] | None = None,
) -> SuppressedBreakdown:
    """Primary and secondary suppression of a breakdown, and the totals that may be shown.

    ``frame`` has one row per category (municipality, age group, ...); the rows partition a
    population and each count column is treated as one line of its own. ``total`` gives, per
    count column, the total shown elsewhere on the page; a column missing from it (or
    ``total=None``) is taken to have the sum of its rows shown as its total. A given total may
    exceed the row sum (clients in no listed category): that remainder is then a hidden cell of
    the line, never shown and never chosen as complement, but protected like a suppressed cell
    when it is itself 1..threshold-1 (total minus the rows would reveal it).

    Per count column:

    1. Primary suppression: cells of 1..threshold-1 become null.
    2. Secondary suppression: the hidden cells' sum follows as total minus the visible cells, so
       as long as fewer than two cells are hidden, or their sum is below the threshold, or it
       is no more than their number (a "*" is at least 1, so they would all be ones), the
       smallest non-zero visible cell is suppressed as well (ties: first row first). Zeros
       stay visible.
    3. If that cannot be satisfied -- only in tiny lines: a total of 1..threshold-1, or nothing
       but ones, as 1, 1, 1 under a total of 3 -- the total is suppressed instead (None in
       ``totals``), which makes the line safe.

    Safe against exact recovery: whatever the reader knows from the line (the sum of the hidden
    cells, each at least 1), every suppressed cell can take at least two values.

    Count columns are protected independently. Columns that are arithmetically related (one the
    sum of others, as women + men = all) form a two-dimensional table: use ``suppress_table``.

    Returns the frame (suppressed counts null, dtypes and row order kept) and the totals per
    count column (None where suppressed). Raises ValueError on nulls or negative counts, or on a
    total smaller than its row sum.
    """
    columns: list[pl.Series] = []
    totals: dict[str, int | None] = {}
    for column in count_columns:
        values = _exact_counts(frame[column], name=column)
        shown_total = sum(values) if total is None or column not in total else total[column]
        hidden, total_hidden = _protect_breakdown_column(
            values, shown_total, threshold=threshold, name=column
        )
        shown = [None if i in hidden else v for i, v in enumerate(values)]
        columns.append(pl.Series(column, shown, dtype=frame.schema[column]))
        totals[column] = None if total_hidden else shown_total
    # Plain lists and one with_columns: breakdowns are small and may be protected row by row,
    # where per-call polars overhead would dominate.
    suppressed = frame.with_columns(columns)
    return SuppressedBreakdown(suppressed, totals)


def _protect_breakdown_column(
    values: list[int], total: int, *, threshold: int, name: str
) -> tuple[set[int], bool]:
    """The rows to suppress in one count column, and whether its total must be suppressed."""
    remainder = total - sum(values)
    if remainder < 0:
        raise ValueError(f"total of {name!r} ({total}) is smaller than the sum of its rows")
    hidden = {i for i, v in enumerate(values) if is_disclosive(v, threshold=threshold)}
    if not hidden and not is_disclosive(remainder, threshold=threshold):
        # Nothing to protect: no line work below would hide anything (the remainder joins the
        # hidden cells only beside a suppressed cell or when small itself).
        return hidden, is_disclosive(total, threshold=threshold)
    if is_disclosive(total, threshold=threshold):
        # A small total is itself suppressed; every non-zero cell is then small as well and
        # already hidden, so nothing can be derived.
        return hidden, True
    # The remainder (total minus rows, never shown) is one more hidden cell of the line, with a
    # floor of 0 -- unlike a "*" it may be zero. It matters only when it is positive and there
    # is something to protect: a suppressed cell, or the remainder being small itself.
    line_values = [*values, remainder]
    floors = [1] * len(values) + [0]
    line_hidden = sorted(hidden)
    if remainder > 0 and (hidden or is_disclosive(remainder, threshold=threshold)):
        line_hidden.append(len(values))
    extra = _complements(
        line_values, line_hidden, floors=floors, eligible=range(len(values)), threshold=threshold
    )
    if extra is None:
        return hidden, True
    return hidden | set(extra), False


def suppress_line(
    values: Sequence[int | None], total: int, *, threshold: int, name: str = "count"
) -> tuple[set[int], bool]:
    """``suppress_breakdown_with_total`` for one line given as plain ints, without a frame.

    ``values`` are the cells of the line, ``total`` the total shown with them (at least their
    sum). Returns the positions of the cells to suppress and whether the total must be
    suppressed -- exactly what ``suppress_breakdown_with_total`` does to a one-column frame of
    ``values`` with that total, errors included (``name`` stands for the column in messages).
    For callers that protect many small lines, where building a frame per line would dominate.
    """
    if any(v is None for v in values):
        raise ValueError(_NULLS.format(name=name))
    exact = _exact_values(values, name=name)
    return _protect_breakdown_column(exact, total, threshold=threshold, name=name)


_NULLS = "{name!r} contains nulls; pass exact counts, not suppressed ones"


def _exact_counts(series: pl.Series, *, name: str) -> list[int]:
    if series.null_count():
        raise ValueError(_NULLS.format(name=name))
    return _exact_values(series.to_list(), name=name)


def _exact_values(values: Iterable, *, name: str) -> list[int]:
    exact = [int(v) for v in values]
    if any(v < 0 for v in exact):
        raise ValueError(f"{name!r} contains negative counts")
    return exact


# --------------------------------------------------------------------------------------------
# Two-dimensional cross tables
# --------------------------------------------------------------------------------------------


class SuppressedTable(NamedTuple):
    """A suppressed cross table: cells in long form and its margins; suppressed values are null.

    ``cells`` is the input frame with suppressed counts null; ``row_totals`` has the columns
    ``row`` and ``count`` (one row per row category, in order of first appearance, Int64),
    ``column_totals`` likewise with ``column``; ``grand_total`` is None when suppressed.
    """

    cells: pl.DataFrame
    row_totals: pl.DataFrame
    column_totals: pl.DataFrame
    grand_total: int | None


def suppress_table(
    frame: pl.DataFrame, *, row: str, column: str, count: str, threshold: int
) -> SuppressedTable:
    """Primary and secondary suppression of a cross table shown with all its margins.

    ``frame`` is the table in long form: one row per (``row``, ``column``) cell with its exact
    ``count``; combinations that do not occur are zero. Shown are the cells, the row totals, the
    column totals and the grand total. The table consists of lines, each a list of elements and
    the total they add up to: every row (cells + row total), every column (cells + column total),
    the row totals (+ grand total) and the column totals (+ grand total). A suppressed margin is
    thus a suppressed element of the line one level up.

    1. Primary suppression of every cell and margin of 1..threshold-1.
    2. Secondary suppression, line by line until nothing changes: in a line whose total is
       visible the hidden elements must be none, or at least two that sum to at least the
       threshold and to more than their number (all "*" being ones would give them away);
       otherwise the smallest non-zero visible element is suppressed too (ties: first in the
       line). If no element is left, the line's total is suppressed. A line whose total is
       hidden needs a hidden element beside it, else the total is the sum of visible ones.
    3. Audit: the attacker's view is the system of all line equations over the hidden values,
       each at least 1. For every hidden count of 1..threshold-1 its least and greatest
       feasible value is computed by an exact (rational) simplex; if they coincide the count
       is derivable, and the smallest non-zero visible element sharing a line with it (cells
       before margins) is suppressed; then back to step 2.

    Safety: after step 3, no count of 1..threshold-1 can be recovered exactly from the
    published numbers, neither by subtraction within one line nor by any combination of lines
    (linear programming with the bounds "each * is at least 1"). The constraint matrix is a
    network matrix, so the feasible ranges are the same over integers as over the reals.
    Step 2 alone would not suffice: e.g. two hidden column totals that the grand total says
    add up to 3, one of them over two "*" (so at least 2), are 2 and 1.

    Not covered: intervals (a reader may learn that a "*" is 1 or 2, which the rule allows;
    complements, being >= threshold, may even be derivable, which is harmless); readers who know
    this algorithm and reason about which cells it would have picked; and several tables or
    pages that share cells or totals -- protect what is shown together as one table. The
    result is safe, not minimal (a greedy heuristic). Cost: the audit solves up to two small
    linear programs per hidden small count and round; an 11 x 5 table takes milliseconds, a
    30 x 10 table with many small counts a second or two.

    Deterministic: the result depends only on the values and the order of first appearance of
    the row and column labels. Raises ValueError on nulls, negative counts or duplicate cells.
    """
    for name in (row, column, count):
        if name not in frame.columns:
            raise ValueError(f"column {name!r} not in frame")
    # Plain lists: the tables are small, and per-call polars overhead would dominate.
    row_of, column_of = frame[row].to_list(), frame[column].to_list()
    if None in row_of or None in column_of:
        raise ValueError("row and column labels must not be null")
    counts = _exact_counts(frame[count], name=count)
    row_index = {label: i for i, label in enumerate(dict.fromkeys(row_of))}
    column_index = {label: j for j, label in enumerate(dict.fromkeys(column_of))}
    row_labels, column_labels = list(row_index), list(column_index)
    cell_ids = [
        row_index[r] * len(column_labels) + column_index[c]
        for r, c in zip(row_of, column_of, strict=True)
    ]
    if len(set(cell_ids)) < len(cell_ids):
        raise ValueError(f"more than one count for some ({row!r}, {column!r}) cell")
    grid = _Grid(len(row_labels), len(column_labels))
    for cell, value in zip(cell_ids, counts, strict=True):
        grid.values[cell] = value
    grid.add_margins()

    hidden = _protect_grid(grid, threshold=threshold)

    cells = frame.with_columns(
        pl.when(pl.Series([cell in hidden for cell in cell_ids], dtype=pl.Boolean))
        .then(None)
        .otherwise(pl.col(count))
        .alias(count)
    )
    row_totals = pl.DataFrame(
        {
            row: pl.Series(row_labels, dtype=frame.schema[row]),
            count: pl.Series(
                [None if e in hidden else grid.values[e] for e in grid.row_margins], dtype=pl.Int64
            ),
        }
    )
    column_totals = pl.DataFrame(
        {
            column: pl.Series(column_labels, dtype=frame.schema[column]),
            count: pl.Series(
                [None if e in hidden else grid.values[e] for e in grid.column_margins],
                dtype=pl.Int64,
            ),
        }
    )
    grand_total = None if grid.grand in hidden else grid.values[grid.grand]
    return SuppressedTable(cells, row_totals, column_totals, grand_total)


class _Grid:
    """A cross table as numbered elements and the lines between them.

    Element ids: cell (i, j) is ``i * n_columns + j``, then the row totals, the column totals
    and the grand total. Ids double as the deterministic tie-break (row order within a column,
    column order within a row, cells before margins).
    """

    def __init__(self, n_rows: int, n_columns: int) -> None:
        self.n_cells = n_rows * n_columns
        self.row_margins = [self.n_cells + i for i in range(n_rows)]
        self.column_margins = [self.n_cells + n_rows + j for j in range(n_columns)]
        self.grand = self.n_cells + n_rows + n_columns
        self.values = [0] * (self.grand + 1)
        rows = [[i * n_columns + j for j in range(n_columns)] for i in range(n_rows)]
        columns = [[i * n_columns + j for i in range(n_rows)] for j in range(n_columns)]
        # (elements, total) per line: rows, columns, then the two lines of margins.
        self.lines: list[tuple[list[int], int]] = [
            *zip(rows, self.row_margins, strict=True),
            *zip(columns, self.column_margins, strict=True),
            (self.row_margins, self.grand),
            (self.column_margins, self.grand),
        ]

    def add_margins(self) -> None:
        """Fill in the totals from the cells (lines in bottom-up order)."""
        for elements, total in self.lines:
            self.values[total] = sum(self.values[e] for e in elements)

    def neighbours(self, element: int) -> list[int]:
        """Every element sharing a line with ``element`` (as element or total), itself excluded."""
        found: set[int] = set()
        for elements, total in self.lines:
            members = [*elements, total]
            if element in members:
                found.update(members)
        found.discard(element)
        return sorted(found)


def _protect_grid(grid: _Grid, *, threshold: int) -> set[int]:
    """Steps 1-3 of ``suppress_table``: the ids of every element to suppress."""
    values = grid.values
    sensitive = [e for e, v in enumerate(values) if is_disclosive(v, threshold=threshold)]
    if not sensitive:
        # Nothing small, so nothing hidden: every line is safe as it is (no secondary
        # suppression) and the audit has no unknowns (no linear program to solve).
        return set()
    hidden = set(sensitive)
    floors = [1] * len(values)  # a "*" is never zero
    while True:
        _secondary_until_stable(grid, hidden, floors=floors, threshold=threshold)
        pinned = _first_pinned(grid, hidden, sensitive=sensitive)
        if pinned is None:
            return hidden
        hidden.add(_complement_for_pinned(grid, hidden, pinned))


def _secondary_until_stable(
    grid: _Grid, hidden: set[int], *, floors: Sequence[int], threshold: int
) -> None:
    """Step 2: make every line with a visible total safe; repeat, as one choice can break others."""
    changed = True
    while changed:
        changed = False
        for elements, total in grid.lines:
            line_hidden = [e for e in elements if e in hidden]
            if total in hidden:
                # Nothing to subtract from; but a hidden total next to all-visible elements is
                # their sum, so it needs a hidden element beside it (any will do: the reader
                # then learns only a difference, total - element).
                if not line_hidden:
                    # A hidden total is non-zero, so some element is non-zero and visible.
                    candidates = [e for e in elements if grid.values[e] > 0]
                    hidden.add(min(candidates, key=lambda e: (grid.values[e], e)))
                    changed = True
                continue
            extra = _complements(
                grid.values, line_hidden, floors=floors, eligible=elements, threshold=threshold
            )
            if extra is None:
                hidden.add(total)
                changed = True
            elif extra:
                hidden.update(extra)
                changed = True


def _complement_for_pinned(grid: _Grid, hidden: set[int], pinned: int) -> int:
    """Step 3's repair: one more element to suppress, close to the derivable one."""

    def key(e: int) -> tuple[bool, int, int]:
        return (e >= grid.n_cells, grid.values[e], e)  # cells before margins, small first

    near = [e for e in grid.neighbours(pinned) if e not in hidden and grid.values[e] > 0]
    if near:
        return min(near, key=key)
    # With every non-zero element hidden nothing is derivable (doubling all hidden values is
    # another solution), so there is always something left here.
    anywhere = [e for e, v in enumerate(grid.values) if e not in hidden and v > 0]
    return min(anywhere, key=key)


def _first_pinned(grid: _Grid, hidden: set[int], *, sensitive: Sequence[int]) -> int | None:
    """The first small count whose value follows from the published numbers, if any.

    Variables are the hidden elements, shifted by their floor of 1 (y = x - 1 >= 0); each line
    gives the equation "hidden elements - hidden total = visible total - visible elements".
    """
    variables = sorted(hidden)
    position = {e: k for k, e in enumerate(variables)}
    matrix: list[list[int]] = []
    rhs: list[int] = []
    for elements, total in grid.lines:
        coefficients = [0] * len(variables)
        constant = 0
        for e in elements:
            if e in hidden:
                coefficients[position[e]] += 1
            else:
                constant -= grid.values[e]
        if total in hidden:
            coefficients[position[total]] -= 1
        else:
            constant += grid.values[total]
        if any(coefficients):
            matrix.append(coefficients)
            rhs.append(constant - sum(coefficients))  # shift x = y + 1
    if not matrix:
        return None
    lp = _SimplexLP(matrix, rhs)
    for e in sensitive:
        if lp.is_pinned(position[e], value=grid.values[e] - 1):
            return e
    return None


class _SimplexLP:
    """Ranges of single variables over {y >= 0 : A y = b}, exactly, by a small simplex.

    Dense tableau with Bland's rule (no cycling), exact arithmetic: entries are ints and become
    Fractions only if a pivot is not +-1 -- which never happens for the network matrices of a
    cross table (totally unimodular), so the audit runs on plain ints. Phase 1 finds a feasible
    basis once; each query starts from a copy of it.
    """

    def __init__(self, matrix: Sequence[Sequence[int]], rhs: Sequence[int]) -> None:
        n = len(matrix[0])
        m = len(matrix)
        # Phase 1: rows with b >= 0, one artificial variable per row, minimise their sum.
        tableau: list[list[_Exact]] = []
        for r, (coefficients, b) in enumerate(zip(matrix, rhs, strict=True)):
            sign = -1 if b < 0 else 1
            artificial = [int(k == r) for k in range(m)]
            tableau.append([sign * a for a in coefficients] + artificial + [sign * b])
        basis = [n + r for r in range(m)]
        cost = [0] * n + [1] * m
        if not _simplex(tableau, basis, cost) or any(
            tableau[r][-1] for r in range(m) if basis[r] >= n
        ):
            raise AssertionError("the published table contradicts itself")
        # Drive artificial variables out of the basis; a row where that is impossible is
        # redundant (a combination of other lines) and goes.
        for r in reversed(range(m)):
            if basis[r] < n:
                continue
            column = next((j for j in range(n) if tableau[r][j] != 0), None)
            if column is None:
                del tableau[r], basis[r]
            else:
                _pivot(tableau, basis, r, column)
        self.tableau = [line[:n] + line[-1:] for line in tableau]
        self.basis = basis
        self.n = n

    def value(self, tableau: list[list[_Exact]], basis: list[int], variable: int) -> _Exact:
        """The variable's value in the basic solution of a tableau."""
        return next((tableau[r][-1] for r, j in enumerate(basis) if j == variable), 0)

    def is_pinned(self, variable: int, *, value: int) -> bool:
        """Whether ``variable`` must equal ``value`` (its true value) in every solution."""
        if self.value(self.tableau, self.basis, variable) != value:
            return False  # the phase-1 solution already differs
        for direction in (-1, 1):  # maximise, then minimise
            tableau = [line[:] for line in self.tableau]
            basis = self.basis[:]
            cost = [0] * self.n
            cost[variable] = direction
            if not _simplex(tableau, basis, cost):
                return False  # unbounded: many values
            if self.value(tableau, basis, variable) != value:
                return False
        return True


def _simplex(tableau: list[list[_Exact]], basis: list[int], cost: Sequence[int]) -> bool:
    """Minimise cost . y from a feasible basis, in place; False if unbounded."""
    n = len(cost)
    while True:
        in_basis = set(basis)
        costed = [(cost[j], tableau[r]) for r, j in enumerate(basis) if cost[j]]
        entering = None
        for j in range(n):  # Bland: the first improving column
            if j not in in_basis and cost[j] - sum(c * line[j] for c, line in costed) < 0:
                entering = j
                break
        if entering is None:
            return True
        leaving = None
        best: Fraction | None = None
        for r, line in enumerate(tableau):
            if line[entering] > 0:
                ratio = Fraction(line[-1]) / line[entering]
                if best is None or ratio < best or (ratio == best and basis[r] < basis[leaving]):
                    leaving, best = r, ratio
        if leaving is None:
            return False
        _pivot(tableau, basis, leaving, entering)


def _pivot(tableau: list[list[_Exact]], basis: list[int], row: int, column: int) -> None:
    factor = tableau[row][column]
    if factor == -1:
        tableau[row] = [-a for a in tableau[row]]
    elif factor != 1:
        tableau[row] = [Fraction(a) / factor for a in tableau[row]]
    pivot_line = tableau[row]
    nonzero = [k for k, a in enumerate(pivot_line) if a]
    for r, line in enumerate(tableau):
        f = line[column]
        if r != row and f:
            for k in nonzero:
                line[k] -= f * pivot_line[k]
    basis[row] = column


# --------------------------------------------------------------------------------------------
# Rates
# --------------------------------------------------------------------------------------------


def rate_is_suppressed(numerator: int | None, denominator: int | None, *, threshold: int) -> bool:
    """Whether a rate must be shown as "*": numerator or denominator suppressed (None) or small.

    A rate that is None without being suppressed is undefined (denominator 0) and shown as "–".
    """
    return any(
        count is None or is_disclosive(count, threshold=threshold)
        for count in (numerator, denominator)
    )


def suppress_rate(
    numerator: int | None, denominator: int | None, *, threshold: int, scale: float = 100.0
) -> float | None:
    """``numerator / denominator * scale`` (percent by default), or None.

    None when the rate is suppressed (see ``rate_is_suppressed``) or undefined (denominator 0);
    tell the two apart with ``rate_is_suppressed``. A numerator of 0 gives a visible 0.
    """
    if rate_is_suppressed(numerator, denominator, threshold=threshold) or denominator == 0:
        return None
    assert numerator is not None and denominator is not None  # for the type checker
    return numerator / denominator * scale


def suppress_rates(
    frame: pl.DataFrame,
    *,
    numerator: str,
    denominator: str,
    rate: str,
    threshold: int,
    scale: float = 100.0,
) -> pl.DataFrame:
    """Add (or replace) column ``rate`` = numerator / denominator * scale, suppressed.

    Also adds the boolean column ``f"{rate}_suppressed"``. The rate is null when numerator or
    denominator is null (already suppressed) or 1..threshold-1 -- then ``_suppressed`` is true and
    pages show "*" -- or when the denominator is 0 -- undefined, ``_suppressed`` false, pages show
    "–". A suppressed count wins over an undefined rate. Counts are taken as given: pass them
    after secondary suppression so that complements hide their rates too.

    Not checked: the difference denominator - numerator (e.g. "not integrated" = 1), which a
    rate next to its visible denominator reveals. Where that matters, protect the pair
    [numerator, denominator - numerator] with ``suppress_breakdown`` and total ``denominator``.
    """
    small = pl.lit(1), pl.lit(threshold - 1)
    num, den = pl.col(numerator), pl.col(denominator)
    suppressed = (
        num.is_null() | den.is_null() | num.is_between(*small) | den.is_between(*small)
    ).fill_null(True)
    undefined = (den == 0).fill_null(False)
    return frame.with_columns(
        pl.when(suppressed | undefined)
        .then(None)
        .otherwise(num.cast(pl.Float64) / den * scale)
        .alias(rate),
        suppressed.alias(f"{rate}_suppressed"),
    )
