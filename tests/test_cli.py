"""The teilhabe command: figures as JSON and clear one-line errors."""

import json

import pytest

from teilhabe import barriers
from teilhabe.cases import read_cases
from teilhabe.cli.main import main
from teilhabe.definitions import BARRIER_CODES
from teilhabe.demo import AS_OF
from teilhabe.protection import DEMO_SECRET, MAX_DEVIATION, Protection
from teilhabe.selection import Filters


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def figures_json(capsys, url: str, *args: str) -> dict:
    code, out, err = run(capsys, "figures", "--json", *args, "--database-url", url)
    assert code == 0, err
    return json.loads(out)


def test_figures_json_on_the_demo(demo_sqlite_url, capsys) -> None:
    result = figures_json(capsys, demo_sqlite_url, "--as-of", "2013-09", "--exact")
    assert (result["protection"], "suppression_threshold" in result) == ("none", False)
    assert {
        k: result[k] for k in ("as_of", "elb", "lzb", "lzb_4y_plus", "providers", "municipalities")
    } == {
        "as_of": "2013-09",
        "elb": 4230,
        "lzb": 2380,
        "lzb_4y_plus": 1388,
        "providers": 20,
        "municipalities": 11,
    }
    assert {"date": "2013-09-24", "attendees": 150, "providers": 20}.items() <= next(
        e for e in result["network_events"] if e["date"] == "2013-09-24"
    ).items()


def test_figures_json_publishes_protected_values_by_default(demo_sqlite_url, capsys) -> None:
    published = figures_json(capsys, demo_sqlite_url, "--as-of", "2013-09")
    exact = figures_json(capsys, demo_sqlite_url, "--as-of", "2013-09", "--exact")
    assert (published["protection"], published["min_rate_base"]) == ("cell-key", 10)
    assert "suppression_threshold" not in published
    counts = ["elb", "lzb", "lzb_under_2y", "lzb_2_4y", "lzb_4y_plus", "integrations_12m"]
    for key in counts:
        assert abs(published[key] - exact[key]) <= MAX_DEVIATION, key
    assert [published[k] for k in counts] != [exact[k] for k in counts]  # perturbed, not exact
    # facts about the network are not about persons: as recorded
    for key in ("providers", "municipalities", "network_events"):
        assert published[key] == exact[key], key
    # the same published values on every call
    assert figures_json(capsys, demo_sqlite_url, "--as-of", "2013-09") == published


def test_figures_default_to_the_data_as_of_month(demo_sqlite_url, capsys) -> None:
    code, out, _ = run(capsys, "figures", "--json", "--database-url", demo_sqlite_url)
    assert code == 0
    assert json.loads(out)["as_of_date"] == "2013-09-30"


def test_events_after_the_as_of_month_are_not_listed(demo_sqlite_url, capsys) -> None:
    code, out, _ = run(
        capsys, "figures", "--json", "--as-of", "2012-12", "--database-url", demo_sqlite_url
    )
    assert code == 0
    assert [e["date"] for e in json.loads(out)["network_events"]] == ["2012-10-16"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "ist keine gültige Datenbank-URL"),
        ("mysql://x@localhost/db", "wird nicht unterstützt"),
        ("postgresql://nobody@127.0.0.1:1/none", "ist nicht erreichbar"),
    ],
)
def test_a_wrong_database_url_gives_one_clear_line(capsys, url: str, message: str) -> None:
    code, out, err = run(capsys, "figures", "--json", "--database-url", url)
    assert code == 2
    assert out == ""
    assert err.startswith("Fehler: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_malformed_month_is_rejected_by_the_parser(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["figures", "--as-of", "09/2013"])
    assert exit_info.value.code == 2
    assert "JJJJ-MM" in capsys.readouterr().err


def test_demo_refuses_to_overwrite_real_data(build_db, tmp_path, capsys) -> None:
    import datetime as dt

    import polars as pl

    url = f"sqlite:///{tmp_path / 'real.sqlite'}"
    build_db(
        [("x", dt.date(2012, 1, 1), None)],
        url=url,
        dataset_info=pl.DataFrame({"key": ["synthetic"], "value": ["false"]}),
    )
    code, _, err = run(capsys, "demo", "--database-url", url)
    assert code == 2
    assert "echte" in err and "--force" in err


def test_figures_json_has_the_rates_in_percent(demo_sqlite_url, capsys) -> None:
    result = figures_json(capsys, demo_sqlite_url, "--exact")
    assert result["integration_rate"] == 25.2
    assert result["lzb_change"] == -3.5
    published = figures_json(capsys, demo_sqlite_url)
    # rates of published parts: close to the exact ones on groups this large
    assert abs(published["integration_rate"] - 25.2) < 0.5
    assert abs(published["lzb_change"] - -3.5) < 0.5
    for key in (
        "continuity_rate",
        "integration_rate_single_parents",
        "integration_rate_lzb",
        "activation_rate_lzb",
    ):
        assert isinstance(result[key], float), key
        assert isinstance(published[key], float), key


def test_figures_json_has_the_k1_family_and_the_lzb_flows(demo_sqlite_url, capsys) -> None:
    exact = figures_json(capsys, demo_sqlite_url, "--exact")
    published = figures_json(capsys, demo_sqlite_url)
    new_keys = ["elb_change", "elb_entry_rate", "elb_exit_rate", "lzb_entry_rate", "lzb_exit_rate"]
    keys = list(published)
    # after the K2 and K3 rates, before the network figures: the existing keys keep their order
    assert keys[keys.index("activation_rate_lzb") + 1 : keys.index("providers")] == new_keys
    assert [exact[key] for key in new_keys] == [-2.8, 3.9, 4.1, 2.2, 2.5]
    assert [published[key] for key in new_keys] == [-2.8, 3.9, 4.1, 2.2, 2.5]


def test_figures_by_dimension_returns_rows_and_total(demo_sqlite_url, capsys) -> None:
    result = figures_json(capsys, demo_sqlite_url, "--by", "municipality", "--exact")
    assert result["protection"] == "none"
    assert len(result["rows"]) == 11
    assert result["total"]["elb"] == 4230
    assert sum(row["elb"] for row in result["rows"]) == 4230
    published = figures_json(capsys, demo_sqlite_url, "--by", "municipality")
    assert (published["protection"], published["min_rate_base"]) == ("cell-key", 10)
    assert abs(published["total"]["elb"] - 4230) <= MAX_DEVIATION
    assert [row["municipality"] for row in published["rows"]] == [
        row["municipality"] for row in result["rows"]
    ]
    for exact_row, row in zip(result["rows"], published["rows"], strict=True):
        for key in ("elb", "lzb", "integrations_12m"):
            assert row[key] not in (1, 2), (row["municipality"], key)
            assert abs(row[key] - exact_row[key]) <= MAX_DEVIATION, (row["municipality"], key)


def test_filters_narrow_the_figures(demo_sqlite_url, capsys) -> None:
    code, out, _ = run(
        capsys,
        "figures",
        "--json",
        "--municipality",
        "08135019",
        "--sex",
        "f",
        "--database-url",
        demo_sqlite_url,
    )
    assert code == 0
    narrowed = json.loads(out)
    assert narrowed["filters"]["municipalities"] == ["08135019"]
    assert 0 < narrowed["elb"] < 4230


def test_unknown_municipality_is_named(demo_sqlite_url, capsys) -> None:
    code, _, err = run(
        capsys, "figures", "--json", "--municipality", "99999999", "--database-url", demo_sqlite_url
    )
    assert code == 2
    assert "Unbekannte Gemeinde(n): 99999999" in err


def test_an_as_of_month_after_the_data_is_refused(demo_sqlite_url, capsys) -> None:
    args = ["figures", "--json", "--as-of", "2014-01", "--database-url", demo_sqlite_url]
    assert main(args) == 2
    assert "2014-01 liegt nach dem Datenstand (2013-09)" in capsys.readouterr().err


def test_figures_by_barrier_gives_the_prevalence_rows_of_the_page(
    demo_sqlite_url, demo_engine, capsys
) -> None:
    args = ["figures", "--json", "--by", "barrier", "--barrier", "debts"]
    assert main([*args, "--database-url", demo_sqlite_url]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["by"] == "barrier"
    rows = {row["barrier"]: row for row in result["rows"]}
    assert list(rows) == list(BARRIER_CODES)
    assert (result["protection"], result["min_rate_base"]) == ("cell-key", 10)
    # the group is those with debts: the same persons, the same published value
    assert rows["debts"]["elb_share"] == 100.0
    assert result["total"]["elb"] == rows["debts"]["elb"]
    assert abs(rows["debts"]["elb"] - 926) <= MAX_DEVIATION
    page = barriers.prevalence(
        read_cases(engine=demo_engine, secret=DEMO_SECRET),
        Filters(barriers=("debts",)),
        AS_OF,
        Protection(),
    )
    for row in page.iter_rows(named=True):
        printed = rows[row["barrier"]]
        for key in ("elb", "lzb", "integrations_12m"):
            assert printed[key] == row[key]
        for key in ("elb_share", "lzb_share", "integration_rate"):
            assert printed[key] == (None if row[key] is None else round(row[key], 1))
    exact = figures_json(capsys, demo_sqlite_url, *args[2:], "--exact")
    exact_rows = {row["barrier"]: row for row in exact["rows"]}
    assert (exact_rows["debts"]["elb"], exact_rows["debts"]["elb_share"]) == (926, 100.0)
    assert exact["total"]["elb"] == 926


def test_real_data_without_a_cell_key_secret_are_refused(
    build_db, tmp_path, capsys, monkeypatch
) -> None:
    import datetime as dt

    import polars as pl

    url = f"sqlite:///{tmp_path / 'real.sqlite'}"
    build_db(
        [("x", dt.date(2010, 1, 1), None)],
        url=url,
        dataset_info=pl.DataFrame({"key": ["synthetic", "as_of"], "value": ["false", "2013-09"]}),
    )
    code, out, err = run(capsys, "figures", "--json", "--database-url", url)
    assert (code, out) == (2, "")
    assert err.startswith("Fehler: TEILHABE_CELL_KEY_SECRET fehlt: Für echte Daten")
    assert len(err.strip().splitlines()) == 1
    monkeypatch.setenv("TEILHABE_CELL_KEY_SECRET", "ein-geheimnis-nur-fuer-die-tests")
    monkeypatch.setenv("TEILHABE_DATA_DIR", str(tmp_path / "data"))
    code, out, err = run(capsys, "figures", "--json", "--exact", "--database-url", url)
    assert code == 0, err
    assert json.loads(out)["elb"] == 1


def _leaf_parsers(parser, path=()):
    """Every runnable subcommand of ``parser`` as (words, parser)."""
    import argparse

    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not actions:
        yield path, parser
        return
    for name, child in actions[0].choices.items():
        yield from _leaf_parsers(child, (*path, name))


def test_every_subcommand_takes_the_one_database_option() -> None:
    from teilhabe.cli.main import _parser

    leaves = dict(_leaf_parsers(_parser()))
    assert {" ".join(words) for words in leaves} == {
        "demo",
        "figures",
        "bench",
        "boundaries import",
        "providers export",
        "providers import",
        "import",
        "report",
        "users add",
        "users remove",
        "users list",
        "db upgrade",
        "cube build",
    }
    for words, parser in leaves.items():
        (option,) = [a for a in parser._actions if "--database-url" in a.option_strings]
        assert option.option_strings == ["--database-url"], words
        assert option.dest == "database_url" and option.default is None, words
        assert option.help.startswith("SQLAlchemy-URL der Datenbank (Standard: "), words


@pytest.mark.parametrize(
    "command",
    [
        ["demo"],
        ["figures"],
        ["bench", "--clients", "10"],
        ["boundaries", "import", "grenzen.geojson"],
        ["providers", "export", "--hsds", "paket"],
        ["providers", "import", "--hsds", "paket"],
        ["import", "client", "personen.csv"],
        ["report", "--pdf", "bericht.pdf"],
        ["users", "add", "a@example.org", "--role", "betrachter"],
        ["users", "remove", "a@example.org"],
        ["users", "list"],
        ["db", "upgrade"],
    ],
    ids=" ".join,
)
def test_a_wrong_database_url_is_one_line_and_exit_code_2_in_every_command(
    tmp_path, monkeypatch, capsys, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "personen.csv").write_text("Kundennummer\n1\n", encoding="utf-8")
    (tmp_path / "grenzen.geojson").write_text("{}", encoding="utf-8")
    (tmp_path / "paket").mkdir()
    code, out, err = run(capsys, *command, "--database-url", "not a url")
    assert (code, out) == (2, "")
    assert err == (
        "Fehler: TEILHABE_DATABASE_URL 'not a url' ist keine gültige Datenbank-URL. Beispiele: "
        "sqlite:///data/teilhabe.sqlite oder postgresql+psycopg://benutzer@host:5432/datenbank\n"
    )
    # nothing written: no database, no report, no bench folder
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "grenzen.geojson",
        "paket",
        "personen.csv",
    ]


def test_user_errors_give_exit_code_2_and_faults_are_not_hidden(capsys) -> None:
    import argparse

    from teilhabe.cli import common

    def refused(args: argparse.Namespace) -> int:
        raise common.UsageError("Unbekannte Gemeinde(n): 08135999.")

    def broken(args: argparse.Namespace) -> int:
        raise RuntimeError("a bug")

    assert common.run(refused, argparse.Namespace()) == common.EXIT_ERROR == 2
    assert capsys.readouterr().err == "Fehler: Unbekannte Gemeinde(n): 08135999.\n"
    assert common.fail("Eins.", ["  - zwei"]) == 2
    assert capsys.readouterr().err == "Fehler: Eins.\n  - zwei\n"
    # an unexpected fault is a bug: it keeps its traceback (Python's exit code 1)
    with pytest.raises(RuntimeError, match="a bug"):
        common.run(broken, argparse.Namespace())
