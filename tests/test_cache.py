"""The Parquet cache of the case copy: private, pruned, and never fatal; one snapshot per read."""

from __future__ import annotations

import stat

import polars as pl
from sqlalchemy import text, update

from data_access.models import DatasetInfo
from teilhabe.cases import _snapshot, cache_folder, load_cases
from teilhabe.protection import DEMO_SECRET


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_cache_is_private_and_older_copies_are_deleted(demo_engine, tmp_path) -> None:
    old = cache_folder(tmp_path, "db", "v1", DEMO_SECRET)
    new = cache_folder(tmp_path, "db", "v2", DEMO_SECRET)
    load_cases(engine=demo_engine, folder=old, secret=DEMO_SECRET)
    assert old.is_dir()
    load_cases(engine=demo_engine, folder=new, secret=DEMO_SECRET)
    assert not old.exists() and new.is_dir()
    assert _mode(new.parent) == 0o700 and _mode(new) == 0o700
    files = list(new.iterdir())
    assert files and all(_mode(f) == 0o600 for f in files)
    assert not [f for f in files if f.name.endswith(".partial")]


def test_a_corrupt_file_is_rebuilt_from_the_database(demo_engine, tmp_path) -> None:
    folder = cache_folder(tmp_path, "db", "v1", DEMO_SECRET)
    expected = load_cases(engine=demo_engine, folder=folder, secret=DEMO_SECRET)
    broken = folder / "clients.parquet"
    broken.write_bytes(broken.read_bytes()[:100])  # truncated
    cases = load_cases(engine=demo_engine, folder=folder, secret=DEMO_SECRET)
    assert cases.clients.equals(expected.clients)
    assert pl.read_parquet(broken).equals(expected.clients)  # healed


def test_an_unusable_cache_folder_is_not_fatal(demo_engine, tmp_path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    folder = cache_folder(tmp_path, "db", "v1", DEMO_SECRET)
    cases = load_cases(engine=demo_engine, folder=folder, secret=DEMO_SECRET)
    assert cases.clients.height > 0


def test_a_copy_of_a_newer_version_is_not_cached_under_the_old_name(demo_engine, tmp_path) -> None:
    folder = cache_folder(tmp_path, "db", "not-the-current-version", DEMO_SECRET)
    load_cases(
        engine=demo_engine, folder=folder, secret=DEMO_SECRET, version="not-the-current-version"
    )
    assert not folder.exists()


def test_the_copy_is_read_in_one_snapshot(build_db) -> None:
    import datetime as dt

    engine = build_db([("A", dt.date(2012, 1, 1), None)])
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM dataset_info WHERE key = 'data_version'"))
        connection.execute(DatasetInfo.__table__.insert().values(key="data_version", value="one"))
    with _snapshot(engine) as reading:
        first = reading.execute(text("SELECT value FROM dataset_info WHERE key='data_version'"))
        assert first.scalar() == "one"
        with engine.begin() as writing:  # an import commits meanwhile
            writing.execute(
                update(DatasetInfo).where(DatasetInfo.key == "data_version").values(value="two")
            )
        again = reading.execute(text("SELECT value FROM dataset_info WHERE key='data_version'"))
        assert again.scalar() == "one"


def test_cache_folders_differ_by_secret(tmp_path) -> None:
    one = cache_folder(tmp_path, "db", "v", DEMO_SECRET)
    assert one != cache_folder(tmp_path, "db", "v", "ein anderes langes Geheimnis")
    assert DEMO_SECRET not in str(one)  # the path names the secret by a digest only
