"""The cube store: built once, read by every process; never half a version; new ones picked up."""

from __future__ import annotations

import datetime as dt
import json
import stat
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text, update

from data_access.models import DatasetInfo
from data_access.periods import parse_month
from teilhabe import cube_build, cube_store, figures
from teilhabe.cases import PERSON_FIELDS, read_cases, snapshot
from teilhabe.protection import DEMO_SECRET, Protection

D = dt.date
EXACT = Protection(exact=True)
LABEL = "sqlite:///test-database"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _tiny(build_db, version: str, spells):
    info = pl.DataFrame(
        {"key": ["synthetic", "as_of", "data_version"], "value": ["true", "2013-09", version]}
    )
    return build_db(spells, dataset_info=info)


def _elb(engine, cases) -> int:
    month = parse_month("2013-09")
    return figures.headline_figures(
        engine=engine, cases=cases, as_of=month, protection=EXACT
    ).value("elb")


def test_the_store_holds_the_same_copy_as_a_build_in_memory(demo_engine, tmp_path) -> None:
    # 11 municipalities of about 2,000 persons: at most 5,000 per part gives several parts
    manifest = cube_build.build_store(
        demo_engine, tmp_path, database_label=LABEL, secret=DEMO_SECRET, partition_persons=5000
    )
    assert manifest.partitions == 5 and manifest.persons == 24000
    stored, read_manifest = cube_store.load(tmp_path, LABEL, DEMO_SECRET)
    assert read_manifest == manifest
    direct = read_cases(engine=demo_engine, secret=DEMO_SECRET)
    for name in cube_store.CASE_FIELDS:
        expected, got = getattr(direct, name), getattr(stored, name)
        assert got.schema == expected.schema, name
        assert got.sort(got.columns).equals(expected.sort(expected.columns)), name
    for name in ("stock_cells", "flow_plain", "referral_rows"):  # sorted by month as the cube
        assert getattr(stored, name)["month"].is_sorted()
    # the cube's frames are stored six months a file (the merge holds one window at a time)
    folder = cube_store.database_folder(tmp_path, LABEL) / manifest.folder
    months = stored.stock_cells["month"]
    windows = (months // cube_store.MERGE_MONTHS).n_unique()
    assert len(list((folder / "stock_cells").glob("*.parquet"))) == windows > 10
    as_of = parse_month("2013-09")
    headline = figures.headline_figures(
        engine=demo_engine, cases=stored, as_of=as_of, protection=EXACT
    )
    assert (headline.lzb, headline.lzb_4y_plus) == (2380, 1388)  # the seed article's
    expected = figures.headline_figures(
        engine=demo_engine, cases=direct, as_of=as_of, protection=EXACT
    )
    got, wanted = headline.to_dict(), expected.to_dict()
    assert got.pop("network_events").equals(wanted.pop("network_events"))
    assert got == wanted


def test_the_store_is_private_and_keeps_one_older_version(build_db, tmp_path) -> None:
    engine = _tiny(build_db, "v1", [("A", D(2012, 1, 1), None)])
    first = cube_build.build_store(engine, tmp_path, database_label=LABEL, secret=DEMO_SECRET)
    base = cube_store.database_folder(tmp_path, LABEL)
    assert _mode(base) == 0o700 and _mode(base / first.folder) == 0o700
    files = [*(base / first.folder).rglob("*.*"), base / "manifest.json"]
    folders = [p for p in (base / first.folder).rglob("*") if p.is_dir()]
    frames = sorted(p.name for p in (base / first.folder).iterdir() if p.is_dir())
    assert frames == sorted([*cube_store.CASE_FIELDS, "_build"])  # a folder a frame
    assert all(_mode(f) == 0o700 for f in folders)
    assert len(files) >= 11 and all(_mode(f) == 0o600 for f in files)
    second = cube_build.build_store(engine, tmp_path, database_label=LABEL, secret=DEMO_SECRET)
    assert (base / first.folder).is_dir()  # a reader may still read the one before
    third = cube_build.build_store(engine, tmp_path, database_label=LABEL, secret=DEMO_SECRET)
    assert sorted(p.name for p in base.iterdir()) == sorted(
        ["manifest.json", second.folder, third.folder]
    )
    # another secret, another layout or another database: no version
    assert cube_store.current(tmp_path, LABEL, "ein anderes langes Geheimnis") is None
    assert cube_store.current(tmp_path, "sqlite:///other", DEMO_SECRET) is None
    assert DEMO_SECRET not in (base / "manifest.json").read_text()


def test_a_half_written_version_is_never_read(build_db, tmp_path, monkeypatch) -> None:
    engine = _tiny(build_db, "v1", [("A", D(2012, 1, 1), None), ("B", D(2013, 1, 1), None)])
    done = cube_build.build_store(engine, tmp_path, database_label=LABEL, secret=DEMO_SECRET)
    with engine.begin() as connection:
        connection.execute(
            update(DatasetInfo).where(DatasetInfo.key == "data_version").values(value="v2")
        )
        connection.execute(text("DELETE FROM benefit_spell WHERE client_id = 'B'"))

    def broken_merge(folder: Path, previous: object) -> None:
        (folder / "clients.parquet").write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(cube_build, "_merge", broken_merge)
    with pytest.raises(OSError, match="disk full"):
        cube_build.build_store(engine, tmp_path, database_label=LABEL, secret=DEMO_SECRET)
    base = cube_store.database_folder(tmp_path, LABEL)
    assert sorted(p.name for p in base.iterdir()) == sorted(["manifest.json", done.folder])
    cases, manifest = cube_store.load(tmp_path, LABEL, DEMO_SECRET)
    assert manifest == done and manifest.version == "v1"
    assert _elb(engine, cases) == 2
    # a manifest that names no complete folder counts as no version; a broken one too
    (base / "manifest.json").write_text(json.dumps({**vars(done), "folder": ".build-x"}))
    assert cube_store.current(tmp_path, LABEL, DEMO_SECRET) is None
    (base / "manifest.json").write_text('{"version": ')
    assert cube_store.load(tmp_path, LABEL, DEMO_SECRET) is None


def test_an_empty_database_gives_an_empty_version(build_db, tmp_path) -> None:
    engine = _tiny(build_db, "v0", [])
    manifest = cube_build.build_store(engine, tmp_path, database_label=LABEL, secret=DEMO_SECRET)
    cases, _ = cube_store.load(tmp_path, LABEL, DEMO_SECRET)
    assert (manifest.persons, manifest.partitions) == (0, 1)
    assert cases.clients.height == 0 and cases.stock_plain.height == 0


def test_the_per_person_frames_are_read_on_first_use(build_db, tmp_path) -> None:
    engine = _tiny(
        build_db, "v1", [("A", D(2012, 1, 1), None), ("B", D(2013, 2, 1), D(2013, 5, 31))]
    )
    manifest = cube_build.build_store(engine, tmp_path, database_label=LABEL, secret=DEMO_SECRET)
    lazy = cube_store.read_version(tmp_path, LABEL, manifest.folder)
    eager = cube_store.read_version(tmp_path, LABEL, manifest.folder, lazy=False)
    assert [name for name in cube_store.CASE_FIELDS if not lazy.is_read(name)] == [
        *PERSON_FIELDS[:-1],
        "stock_cells",
        "flow_cells",
        "referral_rows",
    ]
    assert all(eager.is_read(name) for name in cube_store.CASE_FIELDS)
    # the Übersicht's figures come from the cube alone
    assert _elb(engine, lazy) == _elb(engine, eager) == 1
    assert not any(lazy.is_read(name) for name in cube_store.ON_FIRST_USE)
    # a scan reads what it needs and keeps nothing
    assert lazy.scan("spells").select(pl.len()).collect().item() == 2
    assert not lazy.is_read("spells")
    # first use reads the frame once, the same as read at once
    for name in cube_store.ON_FIRST_USE:
        assert getattr(lazy, name).equals(getattr(eager, name)), name
        assert lazy.is_read(name) and getattr(lazy, name) is getattr(lazy, name)
    assert lazy.scan("clients").collect().equals(eager.clients)


READER = """
import json, sys, time
from pathlib import Path
from data_access.periods import parse_month
from teilhabe import cube_build, cube_store, figures
from teilhabe.protection import DEMO_SECRET, Protection

store, label, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
seen = None
for _ in range(2):
    while True:  # what an app process does on every page run: read the manifest
        manifest = cube_store.current(store, label, DEMO_SECRET)
        if manifest is not None and manifest.folder != seen:
            break
        time.sleep(0.05)
    seen = manifest.folder
    cases = cube_store.read_version(store, label, manifest.folder)
    stocks = figures.figure_series(
        cases=cases, first=parse_month("2013-09"), last=parse_month("2013-09"),
        protection=Protection(exact=True), filters=None,
    )
    print(json.dumps({"version": manifest.version, "elb": stocks["elb"].item()}), flush=True)
    while not go.exists():
        time.sleep(0.05)
"""


def test_two_reader_processes_serve_the_same_figures_and_pick_up_a_new_version(
    build_db, tmp_path
) -> None:
    engine = _tiny(build_db, "v1", [("A", D(2012, 1, 1), None), ("B", D(2013, 1, 1), None)])
    store = tmp_path / "store"
    cube_build.build_store(engine, store, database_label=LABEL, secret=DEMO_SECRET)
    script, go = tmp_path / "reader.py", tmp_path / "go"
    script.write_text(READER)
    root = Path(__file__).resolve().parents[1]
    readers = [
        subprocess.Popen(
            [sys.executable, str(script), str(store), LABEL, str(go)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
            env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        )
        for _ in range(2)
    ]
    try:
        first = [json.loads(r.stdout.readline()) for r in readers]
        assert first == [{"version": "v1", "elb": 2}] * 2
        # a delivery: person C joins; the store gets the new version while both run
        engine.dispose()
        engine = _tiny(
            build_db,
            "v2",
            [("A", D(2012, 1, 1), None), ("B", D(2013, 1, 1), None), ("C", D(2013, 5, 1), None)],
        )
        cube_build.build_store(engine, store, database_label=LABEL, secret=DEMO_SECRET)
        go.touch()
        second = [json.loads(r.stdout.readline()) for r in readers]
        assert second == [{"version": "v2", "elb": 3}] * 2
    finally:
        deadline = time.monotonic() + 30
        for reader in readers:
            reader.wait(timeout=max(1, deadline - time.monotonic()))


def test_the_build_reads_one_snapshot(build_db) -> None:
    engine = _tiny(build_db, "one", [("A", D(2012, 1, 1), None)])
    with snapshot(engine) as reading:
        first = reading.execute(text("SELECT value FROM dataset_info WHERE key='data_version'"))
        assert first.scalar() == "one"
        with engine.begin() as writing:  # an import commits meanwhile
            writing.execute(
                update(DatasetInfo).where(DatasetInfo.key == "data_version").values(value="two")
            )
        again = reading.execute(text("SELECT value FROM dataset_info WHERE key='data_version'"))
        assert again.scalar() == "one"


def test_cube_build_on_the_command_line(build_db, tmp_path, monkeypatch, capsys) -> None:
    from teilhabe.cli.main import main

    engine = _tiny(build_db, "v7", [("A", D(2012, 1, 1), None), ("B", D(2013, 1, 1), None)])
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("TEILHABE_CUBE_STORE", str(tmp_path / "store"))
    assert main(["cube", "build", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Datenstand aufbereitet: 2 Personen in 1 Teil(en), ")
    assert f"(Version v7, {tmp_path / 'store'})." in out
    stored = cube_store.current(tmp_path / "store", url, DEMO_SECRET)
    assert stored is not None and stored.version == "v7" and stored.persons == 2
    assert main(["cube", "build", "--if-needed", "--database-url", url]) == 0
    assert capsys.readouterr().out.startswith("Der Würfelspeicher hat den Datenstand schon")
    assert cube_store.current(tmp_path / "store", url, DEMO_SECRET) == stored
