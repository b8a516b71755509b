"""teilhabe bench: end to end on a small data set; the naive and the fast way agree.

No timing is asserted: the machine may be busy. Only the structure of the result and that both
ways give the same headline numbers.
"""

import argparse
import json
from pathlib import Path

import pytest

from teilhabe.cli.bench import add_parser, run


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="teilhabe")
    add_parser(parser.add_subparsers(required=True))
    return parser.parse_args(["bench", *argv])


@pytest.fixture(scope="module")
def small_bench(tmp_path_factory) -> tuple[dict, dict, str]:
    """A full run at 3,000 persons (built), then one without the naive way (reused)."""
    folder = tmp_path_factory.mktemp("bench")
    url = f"sqlite:///{folder / 'bench.sqlite'}"
    common = ("--clients", "3000", "--districts", "1", "--database-url", url)
    results = []
    for number, extra in enumerate((("--repeat", "2"), ("--repeat", "1", "--skip-naive"))):
        path = folder / f"result{number}.json"
        assert run(parse(*common, *extra, "--json", str(path))) == 0
        results.append(json.loads(path.read_text(encoding="utf-8")))
    return results[0], results[1], url


def test_the_parser_has_the_documented_defaults() -> None:
    args = parse()
    assert (args.clients, args.districts, args.repeat) == (1_000_000, 10, 7)
    assert args.database_url is None and args.json is None and not args.skip_naive
    assert args.handler is run


def test_result_structure(small_bench) -> None:
    first, _, url = small_bench
    assert first["clients"] == 3000 and first["districts"] == 1
    assert first["dialect"] == "sqlite" and first["database"] == url
    assert first["build"]["action"] == "created" and first["build"]["seconds"] > 0
    assert first["build"]["rows"]["client"] == 3000
    # the cube store, built and read in processes of their own
    for step in ("build", "read"):
        measured = first["store"][step]
        assert measured["seconds"] > 0 and measured["cpu_seconds"] > 0
        assert measured["peak_rss_mb"] > 50  # at least Python with polars
    # per filter: the scenarios cycle through the filters (2 repetitions: the first two)
    assert list(first["per_scenario"]) == [
        s["scenario"]["label"] for s in first["naive"]["headline"]
    ]
    for medians in first["per_scenario"].values():
        assert medians["published_median_ms"] > 0 and medians["exact_median_ms"] > 0
    duck = first["duckdb"]  # None where the optional benchmark dependency is not installed
    assert duck is None or (duck["repetitions"] == 2 and duck["ratio"] > 0)
    for way, repetitions in (("fast", 2), ("fast_warm", 2), ("fast_exact", 2), ("naive", 2)):
        summary = first[way]
        assert summary["repetitions"] == repetitions == len(summary["ms"])
        assert summary["min_ms"] <= summary["median_ms"] <= summary["max_ms"]
    for way in ("fast_exact", "naive"):
        assert len(first[way]["headline"]) == 2
    assert first["protection"] == {"method": "cell-key", "min_rate_base": 10}
    assert first["protection_cost"] > 0
    parts = first["fast"]["parts_median_ms"]
    assert set(parts) == {
        "trend",
        "headline",
        "headline_year_before",
        *(f"by_{d}" for d in ("municipality", "sex", "age_group", "duration", "barrier_count")),
    }
    assert first["ratio_naive_to_fast"] > 0
    assert first["naive"]["agrees_with_fast"] is True


def test_naive_and_fast_agree_on_the_headline_numbers(small_bench) -> None:
    first, _, _ = small_bench
    fast = first["fast_exact"]["headline"]
    naive = first["naive"]["headline"]
    for fast_run, naive_run in zip(fast, naive, strict=False):
        assert fast_run["scenario"] == naive_run["scenario"]
        for key in ("elb", "lzb"):
            assert fast_run["headline"]["total"][key] == naive_run["headline"]["total"][key]
        assert fast_run["headline"]["total"]["integration_rate"] == pytest.approx(
            naive_run["headline"]["total"]["integration_rate"]
        )
        assert fast_run["headline"]["total"]["elb"] > 0
        by_fast = fast_run["headline"]["by_municipality"]
        by_naive = naive_run["headline"]["by_municipality"]
        for ags in by_fast.keys() & by_naive.keys():
            for key in ("elb", "lzb"):
                assert by_fast[ags][key] == by_naive[ags][key]
    # each repetition changes the filter and steps back the as-of month
    scenarios = [run["scenario"] for run in fast]
    assert scenarios[0]["filters"]["municipalities"] and scenarios[1]["filters"]["sexes"] == ["f"]
    assert [s["as_of"] for s in scenarios] == ["2013-09", "2013-08"]


def test_a_second_run_reuses_the_data_set_and_can_skip_the_naive_way(small_bench) -> None:
    first, second, _ = small_bench
    assert second["build"]["action"] == "reused" and second["build"]["seconds"] is None
    assert second["fast_exact"]["headline"] == first["fast_exact"]["headline"][:1]
    assert second["naive"] is None and second["ratio_naive_to_fast"] is None


def test_the_output_is_german(tmp_path, small_bench, capsys) -> None:
    _, _, url = small_bench
    args = parse("--clients", "3000", "--districts", "1", "--database-url", url)
    args.repeat, args.skip_naive = 1, True
    assert run(args) == 0
    out = capsys.readouterr().out
    assert "Messdatensatz (3.000 Personen, 1 Kreis(e)) ist schon vorhanden" in out
    assert "Schneller Weg (Monatswürfel)" in out and "Median" in out
    assert "Kosten der Zufallsüberlagerung" in out
    assert "Naiver Weg" not in out


def test_without_duckdb_the_bench_says_so(monkeypatch, capsys) -> None:
    import sys

    from teilhabe import bench_scale
    from teilhabe.cli.bench import _duckdb

    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb fails
    assert bench_scale.duckdb_connection(Path("nowhere"), Path("nowhere.duckdb")) is None
    assert _duckdb(Path("nowhere"), []) is None
    assert capsys.readouterr().out.strip() == bench_scale.DUCKDB_MISSING
