"""The cell-key method (``teilhabe.protection``): the table, the lookup, the keys, the rates."""

from __future__ import annotations

import csv
import hashlib
import hmac
import importlib.util
from collections import defaultdict

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from teilhabe import protection
from teilhabe.protection import (
    KEY_RANGE,
    Protection,
    deviation,
    publish,
    publish_columns,
    rate,
    record_keys,
    withhold_small,
)
from tests.conftest import REPO

COVERED = Protection()
EXACT = Protection(exact=True)


def _table() -> dict[int, dict[int, float]]:
    rows: dict[int, dict[int, float]] = defaultdict(dict)
    with protection.TABLE_FILE.open(encoding="utf-8") as handle:
        for record in csv.DictReader(line for line in handle if not line.startswith("#")):
            rows[int(record["n"])][int(record["d"])] = float(record["p"])
    return dict(rows)


def test_the_table_in_the_repository_is_what_the_script_computes() -> None:
    spec = importlib.util.spec_from_file_location(
        "perturbation_table", REPO / "script" / "perturbation_table.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render() == protection.TABLE_FILE.read_text(encoding="utf-8")


def test_every_distribution_is_unbiased_bounded_and_never_gives_one_or_two() -> None:
    table = _table()
    assert sorted(table) == list(range(6))  # 0 .. 5, where 5 stands for 5 and more
    for n, distribution in table.items():
        assert sum(distribution.values()) == pytest.approx(1, abs=1e-9)
        assert sum(p * d for d, p in distribution.items()) == pytest.approx(0, abs=1e-9)
        for d in distribution:
            assert abs(d) <= 2
            assert n + d not in (1, 2)
            assert n + d >= (3 if n >= 3 else 0)
    assert table[0] == {0: 1.0}
    assert table[1] == pytest.approx({-1: 2 / 3, 2: 1 / 3})
    assert table[2] == pytest.approx({-2: 1 / 3, 1: 2 / 3})
    assert table[3] == {0: 1.0}  # no negative deviation allowed: unbiased means unchanged
    for n in (4, 5):  # the variance asked for, once the allowed deviations permit it
        assert sum(p * d * d for d, p in table[n].items()) == pytest.approx(1, abs=1e-9)
    assert protection.MAX_DEVIATION == 2


def _reference(count: int, key: int) -> int:
    """The table read the plain way: the first deviation whose upper bound exceeds the key."""
    with protection.TABLE_FILE.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(line for line in handle if not line.startswith("#"))]
    row = min(count, max(int(r["n"]) for r in rows))
    for record in sorted((r for r in rows if int(r["n"]) == row), key=lambda r: int(r["d"])):
        if key % KEY_RANGE < int(record["upper"]):
            return int(record["d"])
    raise AssertionError("the last upper bound is 2^32")


def test_the_cell_key_selects_the_deviation_by_exact_integer_bounds() -> None:
    # n = 1: keys below 2/3 * 2^32 (rounded) give -1 (published 0), the rest +2 (published 3)
    assert deviation(1, 0) == -1
    assert deviation(1, 2863311530) == -1
    assert deviation(1, 2863311531) == 2
    assert deviation(1, KEY_RANGE - 1) == 2
    # the key is taken modulo 2^32: sums of keys may exceed it or (differences) be negative
    assert deviation(1, KEY_RANGE + 2863311531) == 2
    assert deviation(1, -1) == 2
    assert deviation(0, 123) == 0
    assert deviation(1000, 0) == -2 and deviation(1000, KEY_RANGE - 1) == 2


@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.integers(0, 10_000)), st.integers(-(2**40), 2**40)),
        min_size=1,
        max_size=200,
    )
)
@settings(max_examples=50, deadline=None)
def test_the_vectorised_lookup_agrees_with_the_table(cells) -> None:
    frame = pl.DataFrame(cells, schema={"n": pl.Int64, "key": pl.Int64}, orient="row")
    published = frame.select(publish("n", "key", COVERED)).to_series().to_list()
    for (n, key), value in zip(cells, published, strict=True):
        if n is None:
            assert value is None
            continue
        assert value == n + deviation(n, key) == n + _reference(n, key)
        assert value not in (1, 2)
        assert abs(value - n) <= 2
        assert (value == 0) == (n == 0) or n in (1, 2)


def test_the_array_lookup_agrees_with_the_table_at_every_bound() -> None:
    """``deviations`` (a binary search in the intervals) at each upper bound of the table, one
    below it, and with keys beyond 2^32 and negative: the plain reading of the table."""
    table = protection.table()
    counts, keys = [], []
    for n, uppers in enumerate(table.uppers):
        for upper in uppers:
            for key in (upper - 1, upper % KEY_RANGE, upper + KEY_RANGE, upper - 1 - KEY_RANGE):
                counts.extend((n, n + 50 * (n == table.n_max)))
                keys.extend((key, key))
    got = protection.deviations(np.array(counts), np.array(keys))
    assert got.tolist() == [_reference(n, k) for n, k in zip(counts, keys, strict=True)]
    grid = protection.deviations(np.array([[3, 4], [5, 0]]), np.array([[0, -1], [2**33, 7]]))
    assert grid.shape == (2, 2)


def test_exact_protection_passes_counts_through() -> None:
    frame = pl.DataFrame({"n": [0, 1, 2, 7], "key": [5, 5, 5, 5]})
    assert frame.select(publish("n", "key", EXACT)).to_series().to_list() == [0, 1, 2, 7]
    assert EXACT.label == "none" and COVERED.label == "cell-key"


def test_publish_columns_replaces_counts_and_drops_their_keys() -> None:
    frame = pl.DataFrame(
        {
            "group": ["a", "b"],
            "elb": [1, 40],
            "elb__key": pl.Series([0, 4294967295], dtype=pl.UInt32),
        }
    )
    published = publish_columns(frame, ["elb"], COVERED)
    assert published.columns == ["group", "elb"]
    assert published["elb"].to_list() == [0, 42]  # 1 with key 0: -1; 40 with the top key: +2


def test_record_keys_are_hmac_sha256_of_kind_and_id() -> None:
    keys = record_keys(["K-0001", "K-0002"], secret="ein langes Geheimnis", kind="client")
    for value, record in zip(keys.to_list(), ["K-0001", "K-0002"], strict=True):
        digest = hmac.digest(b"ein langes Geheimnis", b"client\0" + record.encode(), "sha256")
        assert value == int.from_bytes(digest[:4], "big")
    assert keys.dtype == pl.UInt32
    other_kind = record_keys(["K-0001"], secret="ein langes Geheimnis", kind="referral")
    other_secret = record_keys(["K-0001"], secret="ein anderes Geheimnis", kind="client")
    assert other_kind[0] != keys[0] and other_secret[0] != keys[0]


def test_a_long_secret_is_hashed_first_as_hmac_does() -> None:
    secret = "x" * 100  # longer than SHA-256's block of 64 bytes
    expected = hmac.digest(secret.encode(), b"integration\0K-1\x00560", hashlib.sha256)
    assert record_keys(["K-1\x00560"], secret=secret, kind="integration")[0] == int.from_bytes(
        expected[:4], "big"
    )


def test_rates_need_a_published_base_of_at_least_the_minimum() -> None:
    frame = pl.DataFrame({"num": [3, 3, 0, 5], "den": [9, 10, 0, None]})
    rates = frame.select(rate("num", "den", COVERED)).to_series().to_list()
    assert rates == [None, 30.0, None, None]
    exact = frame.select(rate("num", "den", EXACT)).to_series().to_list()
    assert exact == [pytest.approx(100 / 3), 30.0, None, None]
    loose = frame.select(rate("num", "den", Protection(min_rate_base=3))).to_series().to_list()
    assert loose[0] == pytest.approx(100 / 3)


def test_data_quality_counts_withhold_one_and_two() -> None:
    assert [withhold_small(n, COVERED) for n in (0, 1, 2, 3)] == [0, None, None, 3]
    assert [withhold_small(n, EXACT) for n in (0, 1, 2, 3)] == [0, 1, 2, 3]


def test_the_note_explains_it_in_plain_german() -> None:
    assert "1 und 2 erscheinen nie" in COVERED.note
    assert "ab 10 Personen" in COVERED.note
    assert "Exakte Werte" in EXACT.note


def test_publish_is_a_native_expression_without_a_python_function() -> None:
    # A Python function in an expression runs on polars' thread pool and needs the interpreter
    # lock; a thread holding that lock while it waits for the pool hung a whole server process
    # under 10 concurrent sessions (script/loadtest, 30.11.2026).
    expression = publish("n", "key", COVERED)
    assert "python" not in str(expression)
    frame = pl.DataFrame({"n": [None, 0, 1, 40, 40], "key": [5, 5, 0, 0, 4294967295]})
    published = frame.select(publish("n", "key", COVERED)).to_series().to_list()
    assert published == [None, 0, 0, 40 + deviation(40, 0), 42]
