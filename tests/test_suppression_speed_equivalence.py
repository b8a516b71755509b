"""The fast suppression gives exactly the results of the original, row-by-row implementation.

``figures.suppress`` and ``figures._suppress_groups`` were vectorised, and ``confidentiality``
got shortcuts for lines and tables with nothing to protect. The reference below is the
original code, copied verbatim: ``reference_suppress`` / ``reference_suppress_groups`` from
``figures``, and, patched into ``confidentiality`` while the reference runs, its original
``_complements``, ``_protect_breakdown_column``, ``_exact_counts`` and ``_protect_grid``.
Both are run on random frames shaped like ``indicators.figures_series`` output and on the demo
data; frames, hidden totals and errors must be identical.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from unittest import mock

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from data_access import confidentiality, figures
from data_access.cases import read_cases
from data_access.confidentiality import _line_is_safe, is_disclosive
from data_access.figures import COUNT_COLUMNS, PARTS_OF, RATES, SUMMED_OVER_WINDOW
from data_access.indicators import DIMENSIONS, Filters, figures_series
from teilhabe.demo import AS_OF

# --------------------------------------------------------------------------------------------
# The reference: the original implementation
# --------------------------------------------------------------------------------------------


def _old_complements(
    values: Sequence[int],
    hidden: Collection[int],
    *,
    floors: Sequence[int],
    eligible: Iterable[int],
    threshold: int,
) -> list[int] | None:
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


def _old_protect_breakdown_column(
    values: list[int], total: int, *, threshold: int, name: str
) -> tuple[set[int], bool]:
    remainder = total - sum(values)
    if remainder < 0:
        raise ValueError(f"total of {name!r} ({total}) is smaller than the sum of its rows")
    hidden = {i for i, v in enumerate(values) if is_disclosive(v, threshold=threshold)}
    if is_disclosive(total, threshold=threshold):
        return hidden, True
    line_values = [*values, remainder]
    floors = [1] * len(values) + [0]
    line_hidden = sorted(hidden)
    if remainder > 0 and (hidden or is_disclosive(remainder, threshold=threshold)):
        line_hidden.append(len(values))
    extra = confidentiality._complements(
        line_values, line_hidden, floors=floors, eligible=range(len(values)), threshold=threshold
    )
    if extra is None:
        return hidden, True
    return hidden | set(extra), False


def _old_exact_counts(series: pl.Series, *, name: str) -> list[int]:
    if series.null_count():
        raise ValueError(f"{name!r} contains nulls; pass exact counts, not suppressed ones")
    values = [int(v) for v in series.to_list()]
    if any(v < 0 for v in values):
        raise ValueError(f"{name!r} contains negative counts")
    return values


def _old_protect_grid(grid, *, threshold: int) -> set[int]:
    values = grid.values
    sensitive = [e for e, v in enumerate(values) if is_disclosive(v, threshold=threshold)]
    hidden = set(sensitive)
    floors = [1] * len(values)  # a "*" is never zero
    while True:
        confidentiality._secondary_until_stable(grid, hidden, floors=floors, threshold=threshold)
        pinned = confidentiality._first_pinned(grid, hidden, sensitive=sensitive)
        if pinned is None:
            return hidden
        hidden.add(confidentiality._complement_for_pinned(grid, hidden, pinned))


@contextlib.contextmanager
def old_confidentiality() -> Iterator[None]:
    """``confidentiality`` with its original internals, without the shortcuts."""
    with contextlib.ExitStack() as stack:
        for name, original in [
            ("_complements", _old_complements),
            ("_protect_breakdown_column", _old_protect_breakdown_column),
            ("_exact_counts", _old_exact_counts),
            ("_protect_grid", _old_protect_grid),
        ]:
            stack.enter_context(mock.patch.object(confidentiality, name, original))
        yield


def reference_suppress(exact: pl.DataFrame, *, threshold: int) -> pl.DataFrame:
    with old_confidentiality():
        rows = [_reference_suppress_row(row, threshold) for row in exact.iter_rows(named=True)]
        return pl.DataFrame(rows, schema=exact.schema, orient="row") if rows else exact


def _reference_suppress_row(row: dict, threshold: int) -> dict:
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


def reference_suppress_groups(
    frame: pl.DataFrame, *, by: str, threshold: int
) -> tuple[pl.DataFrame, dict[int, set[str]]]:
    with old_confidentiality():
        return _reference_suppress_groups(frame, by=by, threshold=threshold)


def _reference_suppress_groups(
    frame: pl.DataFrame, *, by: str, threshold: int
) -> tuple[pl.DataFrame, dict[int, set[str]]]:
    rowwise = reference_suppress(frame, threshold=threshold)
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


# --------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------


def assert_same_suppress(exact: pl.DataFrame, threshold: int) -> pl.DataFrame:
    expected = reference_suppress(exact, threshold=threshold)
    actual = figures.suppress(exact, threshold=threshold)
    assert_frame_equal(actual, expected, check_exact=True)
    return actual


def assert_same_groups(frame: pl.DataFrame, by: str, threshold: int) -> None:
    expected, expected_totals = reference_suppress_groups(frame, by=by, threshold=threshold)
    actual, actual_totals = figures._suppress_groups(frame, by=by, threshold=threshold)
    assert_frame_equal(actual, expected, check_exact=True)
    assert actual_totals == expected_totals
    # The public wrappers return the two halves.
    assert_frame_equal(
        figures.suppress_groups(frame, by=by, threshold=threshold), expected, check_exact=True
    )
    assert figures.group_totals_hidden(frame, by=by, threshold=threshold) == expected_totals


def assert_same_error(new, old) -> None:
    """Both calls fail, with the same exception type and message."""
    with pytest.raises(Exception) as expected:
        old()
    with pytest.raises(type(expected.value)) as actual:
        new()
    assert str(actual.value) == str(expected.value)


# --------------------------------------------------------------------------------------------
# Frames shaped like indicators.figures_series output
# --------------------------------------------------------------------------------------------

# The columns of figures_series, in order (without the ``by`` column of a breakdown).
FIGURE_COLUMNS = (
    "month",
    "elb",
    "lzb",
    "lzb_measure",
    "elb_single_parent",
    "lzb_under_2y",
    "lzb_2_4y",
    "lzb_4y_plus",
    "integrations",
    "integrations_lzb",
    "integrations_single_parent",
    "integrations_employment",
    "integrations_training",
    "integrations_self_employment",
    "continuity_known",
    "continued",
    "integrations_12m",
    "integrations_lzb_12m",
    "integrations_single_parent_12m",
    "integrations_employment_12m",
    "integrations_training_12m",
    "integrations_self_employment_12m",
    "elb_sum_12m",
    "lzb_sum_12m",
    "elb_single_parent_sum_12m",
    "continuity_known_12m",
    "continued_12m",
    "lzb_year_before",
    *RATES,
)
# Columns that may be null in figures_series output: rolling sums and lags near the start of
# the data (the rates with them).
NULLABLE = {
    "continuity_known_12m",
    "continued_12m",
    "lzb_year_before",
    "elb_sum_12m",
    "lzb_sum_12m",
    "elb_single_parent_sum_12m",
    "integrations_lzb_12m",
    "integrations_single_parent_12m",
}
WHOLES = set(PARTS_OF)
PART_COLUMNS = {p for parts in PARTS_OF.values() for p in parts}

small_counts = st.integers(0, 5)
mixed_counts = st.one_of(st.integers(0, 5), st.integers(0, 60), st.integers(100, 100_000))
large_counts = st.one_of(st.just(0), st.integers(6, 100_000))
count_styles = st.sampled_from([small_counts, mixed_counts, large_counts])
remainders = st.one_of(st.just(0), st.integers(0, 5), st.integers(0, 1_000))
thresholds = st.one_of(st.just(3), st.integers(1, 6))


@st.composite
def figure_rows(draw, counts: st.SearchStrategy[int], *, month: int) -> dict:
    row: dict = {"month": month}
    for column in FIGURE_COLUMNS[1:]:
        if column in RATES or column in WHOLES:
            continue
        if column in NULLABLE and draw(st.integers(0, 9)) == 0:
            row[column] = None
        elif column in SUMMED_OVER_WINDOW:  # around 12 x threshold
            row[column] = draw(st.one_of(st.integers(0, 80), counts))
        else:
            row[column] = draw(counts)
    for whole, parts in PARTS_OF.items():
        row[whole] = sum(row[p] for p in parts) + draw(remainders)
    for rate, (numerator, denominator) in RATES.items():
        num, den = row[numerator], row[denominator]
        value = None if num is None or den is None or den == 0 else num / den * 100
        if rate in ("integration_rate", "integration_rate_single_parents") and value is not None:
            value *= 12  # over the average stock, as in indicators
        row[rate] = value
    return row


SCHEMA = {
    c: pl.Int32 if c == "month" else pl.Float64 if c in RATES else pl.Int64 for c in FIGURE_COLUMNS
}


@st.composite
def trend_frames(draw) -> pl.DataFrame:
    counts = draw(count_styles)
    n = draw(st.integers(0, 14))
    rows = [draw(figure_rows(counts, month=24_000 + i)) for i in range(n)]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


@st.composite
def group_frames(draw, by: str = "municipality") -> pl.DataFrame:
    counts = draw(count_styles)
    n_groups = draw(st.integers(1, 7))
    months = draw(st.lists(st.integers(24_000, 24_010), min_size=1, max_size=3, unique=True))
    labels = [f"g{i:02d}" for i in range(n_groups)]
    rows = [
        {by: label, **draw(figure_rows(counts, month=month))}
        for label in labels
        for month in months
    ]
    # Not necessarily sorted: the result keeps the input's row order.
    rows = draw(st.permutations(rows))
    frame = pl.DataFrame(rows, schema={by: pl.String, **SCHEMA}, orient="row")
    return frame.select(by, *FIGURE_COLUMNS)


EXAMPLES = settings(max_examples=300, deadline=None)


@EXAMPLES
@given(exact=trend_frames(), threshold=thresholds)
def test_suppress_equals_the_original(exact: pl.DataFrame, threshold: int) -> None:
    assert_same_suppress(exact, threshold)


@EXAMPLES
@given(frame=group_frames(), threshold=thresholds)
def test_suppress_groups_equals_the_original(frame: pl.DataFrame, threshold: int) -> None:
    assert_same_groups(frame, "municipality", threshold)


@settings(max_examples=50, deadline=None)
@given(frame=group_frames(by="age_group"), threshold=thresholds)
def test_suppress_groups_equals_the_original_for_any_dimension(
    frame: pl.DataFrame, threshold: int
) -> None:
    assert_same_groups(frame, "age_group", threshold)


def one_row(**values) -> pl.DataFrame:
    """One row of large counts with the given values (wholes default to the sum of parts)."""
    row = {c: None if c in RATES else 1_000 for c in FIGURE_COLUMNS}
    row.update(month=24_000, integration_rate=12.5, lzb_change=-3.0, activation_rate_lzb=20.0)
    for whole, parts in PARTS_OF.items():
        row[whole] = sum(row[p] for p in parts)
    row.update(values)
    return pl.DataFrame([row], schema=SCHEMA, orient="row")


def test_a_small_remainder_alone_takes_a_part_along() -> None:
    # No part and no whole is small, yet 21 - (0 + 10 + 10) = 1 LZB in no duration band would
    # follow from the whole: the smallest non-zero part is hidden with it.
    shown = assert_same_suppress(
        one_row(lzb_under_2y=0, lzb_2_4y=10, lzb_4y_plus=10, lzb=21), threshold=3
    )
    assert shown.select("lzb", "lzb_under_2y", "lzb_2_4y", "lzb_4y_plus").row(0) == (
        21,
        0,
        None,
        10,
    )


def test_a_zero_whole_and_a_whole_of_three_ones() -> None:
    assert_same_suppress(one_row(lzb_under_2y=0, lzb_2_4y=0, lzb_4y_plus=0, lzb=0), threshold=3)
    shown = assert_same_suppress(
        one_row(lzb_under_2y=1, lzb_2_4y=1, lzb_4y_plus=1, lzb=3), threshold=3
    )
    # The whole goes (three "*" under 3 are three ones), and the rates over it with it.
    assert shown.select("lzb", "lzb_change", "activation_rate_lzb").row(0) == (None, None, 20.0)


def test_large_rows_stay_as_they_are() -> None:
    exact = pl.concat([one_row(month=24_000 + i) for i in range(60)])
    assert assert_same_suppress(exact, threshold=3).equals(exact)


@pytest.mark.parametrize(
    "values",
    [
        {"lzb_2_4y": None},  # null part
        {"integrations_12m": None},  # null whole
        {"lzb_4y_plus": -1},  # negative part
        {"lzb": 10},  # whole below its parts
        {"integrations_training_12m": 2, "integrations_self_employment_12m": None},
    ],
)
def test_invalid_rows_fail_as_before(values: dict) -> None:
    exact = pl.concat([one_row(), one_row(**values), one_row(lzb_2_4y=None, lzb=None)])
    assert_same_error(
        lambda: figures.suppress(exact, threshold=3),
        lambda: reference_suppress(exact, threshold=3),
    )


def groups_of(*rows: pl.DataFrame, labels: Sequence[str | None]) -> pl.DataFrame:
    frame = pl.concat(rows)
    return frame.select(pl.Series("municipality", labels, dtype=pl.String), *FIGURE_COLUMNS)


@pytest.mark.parametrize(
    ("labels", "values"),
    [
        (["a", None, "c"], {}),  # a null group
        (["a", "a", "c"], {}),  # a group twice in a month
        (["a", "b", "c"], {"elb": None}),
        (["a", "b", "c"], {"elb": -5}),
        (["a", None, "c"], {"elb": None}),
    ],
)
def test_invalid_breakdowns_fail_as_before(labels: list, values: dict) -> None:
    frame = groups_of(one_row(), one_row(**values), one_row(), labels=labels)
    assert_same_error(
        lambda: figures._suppress_groups(frame, by="municipality", threshold=3),
        lambda: reference_suppress_groups(frame, by="municipality", threshold=3),
    )


def test_empty_frames() -> None:
    exact = pl.DataFrame(schema=SCHEMA)
    assert_same_suppress(exact, threshold=3)
    groups = exact.select(pl.lit("x", dtype=pl.String).alias("municipality"), pl.all())
    assert_same_groups(groups, "municipality", 3)


# --------------------------------------------------------------------------------------------
# confidentiality: the shortcuts, and the line function for plain ints
# --------------------------------------------------------------------------------------------


@EXAMPLES
@given(
    matrix=st.integers(1, 4).flatmap(
        lambda width: st.lists(
            st.lists(mixed_counts | small_counts, min_size=width, max_size=width),
            min_size=1,
            max_size=5,
        )
    ),
    threshold=thresholds,
)
def test_suppress_table_equals_the_original(matrix: list[list[int]], threshold: int) -> None:
    long = pl.DataFrame(
        [
            {"row": f"r{i}", "column": f"c{j}", "n": value}
            for i, line in enumerate(matrix)
            for j, value in enumerate(line)
        ]
    )

    def run() -> tuple:
        result = confidentiality.suppress_table(
            long, row="row", column="column", count="n", threshold=threshold
        )
        return (
            result.cells.to_dict(as_series=False),
            result.row_totals.to_dict(as_series=False),
            result.column_totals.to_dict(as_series=False),
            result.grand_total,
        )

    with old_confidentiality():
        expected = run()
    assert run() == expected


@EXAMPLES
@given(
    values=st.lists(mixed_counts | small_counts, max_size=6),
    remainder=remainders,
    threshold=thresholds,
)
def test_suppress_line_equals_the_breakdown(
    values: list[int], remainder: int, threshold: int
) -> None:
    total = sum(values) + remainder
    frame = pl.DataFrame({"count": values}, schema={"count": pl.Int64})
    with old_confidentiality():
        expected = confidentiality.suppress_breakdown_with_total(
            frame, count_columns=["count"], threshold=threshold, total={"count": total}
        )
    hidden, total_hidden = confidentiality.suppress_line(values, total, threshold=threshold)
    assert [None if i in hidden else v for i, v in enumerate(values)] == expected.frame[
        "count"
    ].to_list()
    assert total_hidden == (expected.totals["count"] is None)
    # and the frame version, with its shortcut, still agrees with the original
    actual = confidentiality.suppress_breakdown_with_total(
        frame, count_columns=["count"], threshold=threshold, total={"count": total}
    )
    assert_frame_equal(actual.frame, expected.frame, check_exact=True)
    assert actual.totals == expected.totals


@pytest.mark.parametrize(
    ("values", "total"), [([1, None, 3], 10), ([1, -2, 3], 10), ([5, 5], 9), ([5, 5], None)]
)
def test_suppress_line_fails_like_the_breakdown(values: list, total: int | None) -> None:
    frame = pl.DataFrame({"count": values}, schema={"count": pl.Int64})
    assert_same_error(
        lambda: confidentiality.suppress_line(values, total, threshold=3),
        lambda: confidentiality.suppress_breakdown_with_total(
            frame, count_columns=["count"], threshold=3, total={"count": total}
        ),
    )


# --------------------------------------------------------------------------------------------
# The demo data
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cases(demo_engine):
    return read_cases(engine=demo_engine)


DEMO_FILTERS = [
    Filters(),
    Filters(municipalities=("08135010", "08135019")),
    Filters(sexes=("f",), age_groups=("u25", "55plus")),
]


@pytest.mark.parametrize("filters", DEMO_FILTERS, ids=["all", "two-municipalities", "f-young-old"])
@pytest.mark.parametrize("threshold", [3, 5])
def test_demo_figures_equal_the_original(cases, filters: Filters, threshold: int) -> None:
    assert_same_suppress(figures_series(cases, filters, AS_OF, AS_OF - 59), threshold)
    for by in DIMENSIONS:
        assert_same_groups(figures_series(cases, filters, AS_OF, AS_OF - 12, by=by), by, threshold)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(months_back=st.integers(0, 30), by=st.sampled_from(DIMENSIONS))
def test_demo_breakdowns_equal_the_original_at_any_month(cases, months_back: int, by: str) -> None:
    as_of = AS_OF - months_back
    filters = Filters(municipalities=("08135021",))
    assert_same_groups(figures_series(cases, filters, as_of, as_of - 2, by=by), by, 3)
