"""Partial builds of the cube store: what a delivery did not touch is reused, and the result is
the same, frame by frame and row by row, as a build of everything."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy.exc import DatabaseError

from teilhabe import cube_build, cube_store
from teilhabe.definitions import BARRIERS, SERVICE_CATEGORIES
from teilhabe.protection import DEMO_SECRET

D = dt.date
LABEL = "sqlite:///partial"
FIRST, SECOND = "08135", "08136"  # two districts, one partition each

# client id -> municipality, sex, birth year
PEOPLE = {
    "A1": ("08135019", "f", 1970),
    "A2": ("08135019", "m", 1985),
    "A3": ("08135020", "f", 1990),
    "B1": ("08136088", "m", 1965),
    "B2": ("08136088", "f", 1978),
    "B3": ("08136088", "m", 1999),
}
SPELLS = [
    ("A1", D(2010, 1, 1), None),
    ("A2", D(2011, 3, 1), D(2012, 8, 31)),
    ("A2", D(2012, 11, 1), None),
    ("A3", D(2012, 2, 1), None),
    ("B1", D(2009, 5, 1), None),
    ("B2", D(2011, 1, 1), D(2013, 2, 28)),
    ("B3", D(2012, 9, 1), None),
]
INTEGRATIONS = [
    ("A2", D(2012, 8, 20), "employment", None),
    ("B2", D(2013, 2, 10), "training", None),
]
BARRIERS_RECORDED = [
    ("A1", "debts", D(2011, 4, 2), None),
    ("A3", "health", D(2012, 5, 1), D(2013, 1, 15)),
    ("B1", "debts", D(2010, 2, 1), None),
    ("B1", "qualification", D(2012, 3, 1), None),
]
# client, service, start, end, status
REFERRALS = [
    ("A1", "S1", D(2011, 6, 1), None, "active"),
    ("A3", "S2", D(2012, 6, 1), D(2012, 12, 31), "completed"),
    ("B1", "S2", D(2012, 4, 1), None, "active"),
]


def _tables(
    people=PEOPLE, spells=SPELLS, integrations=INTEGRATIONS, barriers=BARRIERS_RECORDED,
    referrals=REFERRALS,
) -> dict[str, pl.DataFrame]:  # fmt: skip
    categories = [c for c in SERVICE_CATEGORIES if c.code in ("debt_counselling", "health_support")]
    places = sorted({p[0] for p in people.values()})
    return {
        "district": pl.DataFrame(
            {
                "key": [FIRST, SECOND],
                "name": ["Erster Kreis", "Zweiter Kreis"],
                "jobcenter_name": ["Jobcenter Eins", "Jobcenter Zwei"],
            }
        ),
        "municipality": pl.DataFrame(
            {
                "ags": places,
                "district_key": [ags[:5] for ags in places],
                "name": [f"Ort {ags}" for ags in places],
                "kind": ["Stadt"] * len(places),
                "population": [50000] * len(places),
                "population_date": [D(2023, 3, 31)] * len(places),
                "lat": [48.68] * len(places),
                "lon": [10.15] * len(places),
            }
        ),
        "client": pl.DataFrame(
            {
                "id": list(people),
                "municipality_ags": [p[0] for p in people.values()],
                "sex": [p[1] for p in people.values()],
                "birth_year": [p[2] for p in people.values()],
                "single_parent": [client.endswith("1") for client in people],
                "household_id": list(people),
            }
        ),
        "barrier": pl.DataFrame(
            {
                "code": [b.code for b in BARRIERS],
                "label": [b.label for b in BARRIERS],
                "description": [b.description for b in BARRIERS],
                "key_factor": [b.key_factor for b in BARRIERS],
            }
        ),
        "service_category": pl.DataFrame(
            {"code": [c.code for c in categories], "label": [c.label for c in categories]}
        ),
        "provider": pl.DataFrame(
            {
                "id": ["P1"],
                "name": ["Träger"],
                "kind": ["welfare"],
                "municipality_ags": [places[0]],
                "lat": [48.68],
                "lon": [10.15],
            }
        ),
        "service": pl.DataFrame(
            {
                "id": ["S1", "S2"],
                "provider_id": ["P1", "P1"],
                "name": ["Schuldnerberatung", "Maßnahme"],
                "category_code": ["debt_counselling", "health_support"],
                "labour_market_measure": [False, True],
                "active_from": [D(2005, 1, 1)] * 2,
            }
        ),
        "barrier_assessment": pl.DataFrame(
            barriers,
            schema=["client_id", "barrier_code", "recorded_on", ("resolved_on", pl.Date)],
            orient="row",
        ),
        "referral": pl.DataFrame(
            referrals,
            schema=["client_id", "service_id", "start_date", ("end_date", pl.Date), "status"],
            orient="row",
        ),
        "integration": pl.DataFrame(
            integrations,
            schema=["client_id", "date", "kind", ("continued_12m", pl.Boolean)],
            orient="row",
        ),
    }


def _deliver(build_db, as_of: str, spells=SPELLS, url: str | None = None, **changes):
    """The database as a delivery leaves it (every table replaced; a new data version)."""
    info = pl.DataFrame(
        {"key": ["synthetic", "as_of", "data_version"], "value": ["true", as_of, f"{changes}"]}
    )
    tables = _tables(spells=spells, **changes)
    return build_db(spells, as_of=as_of, dataset_info=info, url=url, **tables)


def _build(engine, store: Path) -> tuple[cube_store.Manifest, list[str]]:
    said: list[str] = []
    manifest = cube_build.build_store(
        engine, store, database_label=LABEL, secret=DEMO_SECRET, progress=said.append
    )
    return manifest, said[1:]


def _assert_same_as_a_full_build(engine, partial: Path, tmp_path: Path) -> None:
    """Every frame of the partial build's version equals a build of everything into a new store
    (after sorting), and so does every merged file."""
    full, _ = _build(engine, tmp_path / "full")
    built, _ = cube_store.load(partial, LABEL, DEMO_SECRET)
    expected = cube_store.read_version(tmp_path / "full", LABEL, full.folder)
    for name in cube_store.CASE_FIELDS:
        got, wanted = getattr(built, name), getattr(expected, name)
        assert got.schema == wanted.schema, name
        assert got.sort(got.columns).equals(wanted.sort(wanted.columns)), name
        assert got.height > 0, name  # the example has rows in every frame


def _linked(store: Path) -> int:
    """How many files of the current version are shared with the one before (hard links)."""
    manifest = cube_store.current(store, LABEL, DEMO_SECRET)
    assert manifest is not None
    folder = cube_store.database_folder(store, LABEL) / manifest.folder
    return sum(1 for f in folder.rglob("*.parquet") if os.stat(f).st_nlink > 1)


def test_a_new_month_rebuilds_only_the_months_it_touches(build_db, tmp_path) -> None:
    store = tmp_path / "store"
    _build(_deliver(build_db, "2013-06"), store)
    # July: A1's spell ends, B2 returns, A3 finds work, a barrier and a referral are recorded,
    # and A2's integration of 08/2012 is known to have lasted 12 months (an older month)
    spells = [s if s[0] != "A1" else ("A1", D(2010, 1, 1), D(2013, 7, 10)) for s in SPELLS]
    engine = _deliver(
        build_db,
        "2013-07",
        spells=[*spells, ("B2", D(2013, 7, 1), None)],
        integrations=[
            ("A2", D(2012, 8, 20), "employment", True),
            ("B2", D(2013, 2, 10), "training", None),
            ("A3", D(2013, 7, 5), "employment", None),
        ],
        barriers=[*BARRIERS_RECORDED, ("B3", "health", D(2013, 7, 3), None)],
        referrals=[*REFERRALS, ("B3", "S1", D(2013, 7, 8), None, "active")],
    )
    _, said = _build(engine, store)
    assert said == [
        "Teil 1 von 2: Bestände ab 2013-07, Bewegungen ab 2012-08 neu gebaut",
        "Teil 2 von 2: Bestände ab 2013-07, Bewegungen ab 2013-07 neu gebaut",
    ]
    assert _linked(store) > 0
    _assert_same_as_a_full_build(engine, store, tmp_path)


def test_a_delivery_for_one_district_reuses_the_other(build_db, tmp_path) -> None:
    store = tmp_path / "store"
    _build(_deliver(build_db, "2013-06"), store)
    # the second district: a new person (last in the order of ids) and a barrier of 2012
    engine = _deliver(
        build_db,
        "2013-06",
        people={**PEOPLE, "B9": ("08136088", "f", 2001)},
        spells=[*SPELLS, ("B9", D(2013, 1, 1), None)],
        barriers=[*BARRIERS_RECORDED, ("B3", "debts", D(2012, 10, 1), D(2013, 3, 1))],
    )
    _, said = _build(engine, store)
    assert said == [
        "Teil 1 von 2: unverändert übernommen",
        "Teil 2 von 2: ganz neu gebaut",  # a new person: the partition's persons changed
    ]
    _assert_same_as_a_full_build(engine, store, tmp_path)


def test_a_corrected_old_record_rebuilds_from_its_month(build_db, tmp_path) -> None:
    store = tmp_path / "store"
    _build(_deliver(build_db, "2013-06"), store)
    # B1's barrier "qualification" was resolved in 10/2012 (recorded open before); A0 is new,
    # first in the order of ids: every other person's index moves, not their figures
    people = {"A0": ("08135019", "m", 1980), **PEOPLE}
    engine = _deliver(
        build_db,
        "2013-06",
        people=people,
        spells=[("A0", D(2013, 4, 1), None), *SPELLS],
        barriers=[
            *BARRIERS_RECORDED[:3],
            ("B1", "qualification", D(2012, 3, 1), D(2012, 10, 20)),
        ],
    )
    _, said = _build(engine, store)
    assert said == [
        "Teil 1 von 2: ganz neu gebaut",
        "Teil 2 von 2: Bestände ab 2012-10, Bewegungen ab 2012-10 neu gebaut",
    ]
    _assert_same_as_a_full_build(engine, store, tmp_path)
    # the same data once more: everything is taken over, the merged files too
    _, said = _build(engine, store)
    assert said == ["Teil 1 von 2: unverändert übernommen", "Teil 2 von 2: unverändert übernommen"]
    manifest = cube_store.current(store, LABEL, DEMO_SECRET)
    assert manifest is not None
    folder = cube_store.database_folder(store, LABEL) / manifest.folder
    assert all(os.stat(f).st_nlink > 1 for f in folder.rglob("*.parquet"))
    _assert_same_as_a_full_build(engine, store, tmp_path / "again")


def test_changes_are_exact_multisets() -> None:
    from teilhabe.cube_changes import _changes

    old = pl.DataFrame({"client_id": ["A", "A", "B", "C"], "month": [1, 1, 2, None]})
    new = pl.DataFrame({"client_id": ["A", "B", "B", "C"], "month": [1, 2, 2, None]})
    gone, came = _changes(old, new)
    assert gone.rows() == [("A", 1)] and came.rows() == [("B", 2)]
    assert all(frame.is_empty() for frame in _changes(old, old.reverse()))


def test_without_what_the_previous_build_kept_everything_is_built(build_db, tmp_path) -> None:
    store = tmp_path / "store"
    first, _ = _build(_deliver(build_db, "2013-06"), store)
    shutil.rmtree(cube_store.database_folder(store, LABEL) / first.folder / "_build" / "source")
    engine = _deliver(build_db, "2013-07")
    _, said = _build(engine, store)
    assert said == ["Teil 1 von 2: ganz neu gebaut", "Teil 2 von 2: ganz neu gebaut"]
    _assert_same_as_a_full_build(engine, store, tmp_path)
    # a new municipality changes the categories of the whole: every part is built anew
    engine = _deliver(build_db, "2013-07", people={**PEOPLE, "C1": ("08136099", "m", 1980)})
    _, said = _build(engine, store)
    assert said == ["Teil 1 von 2: ganz neu gebaut", "Teil 2 von 2: ganz neu gebaut"]
    _assert_same_as_a_full_build(engine, store, tmp_path / "again")


# --- Reading only the changed persons (``data_access.changes``, ``teilhabe.cube_patch``) -----


def _build_saying(engine, store: Path) -> list[str]:
    said: list[str] = []
    cube_build.build_store(
        engine, store, database_label=LABEL, secret=DEMO_SECRET, progress=said.append
    )
    return said


def _change(engine, *statements: tuple[str, dict]) -> None:
    from sqlalchemy import text

    with engine.begin() as connection:
        for statement, values in statements:
            connection.execute(text(statement), values)


NEW_VERSION = ("UPDATE dataset_info SET value = :v WHERE key = 'data_version'", {"v": "x"})


def test_only_the_recorded_persons_are_read_and_the_result_is_a_full_builds(
    build_db, tmp_path
) -> None:
    _only_the_recorded_persons(_deliver(build_db, "2013-06"), tmp_path)


def test_only_the_recorded_persons_are_read_on_postgresql(build_db, postgres_url, tmp_path) -> None:
    engine = _deliver(build_db, "2013-06", url=postgres_url)
    try:
        _only_the_recorded_persons(engine, tmp_path)
    finally:
        engine.dispose()


def _only_the_recorded_persons(engine, tmp_path: Path) -> None:
    from sqlalchemy import insert

    from data_access.models import Integration

    store = tmp_path / "store"
    _build(engine, store)
    # July: A3 finds work, B1's barrier "debts" is resolved, B3 is referred (as an import
    # would write them; the triggers record A3, B1 and B3)
    with engine.begin() as connection:
        connection.execute(
            insert(Integration).values(
                client_id="A3", date=D(2013, 7, 5), kind="employment", month=2013 * 12 + 6
            )
        )
    _change(
        engine,
        (
            "UPDATE barrier_assessment SET resolved_on = :day "
            "WHERE client_id = 'B1' AND barrier_code = 'debts'",
            {"day": D(2013, 7, 9)},
        ),
        (
            "INSERT INTO referral (client_id, service_id, start_date, status) "
            "VALUES ('B3', 'S1', '2013-07-08', 'active')",
            {},
        ),
        ("UPDATE dataset_info SET value = '2013-07' WHERE key = 'as_of'", {}),
        NEW_VERSION,
    )
    said = _build_saying(engine, store)
    assert said[0] == "6 Personen in 2 Teilen; nur die 3 geänderten werden gelesen …"
    assert said[1:] == [
        "Teil 1 von 2: Bestände ab 2013-07, Bewegungen ab 2013-07 neu gebaut",
        "Teil 2 von 2: Bestände ab 2013-07, Bewegungen ab 2013-07 neu gebaut",
    ]
    _assert_same_as_a_full_build(engine, store, tmp_path / "first")
    _assert_same_sources(store, tmp_path / "first" / "full")
    # a correction by hand, without a new data version, is recorded all the same: the next
    # build does not miss it (A2's integration of 08/2012 turns out to be a training)
    _change(engine, ("UPDATE integration SET kind = 'training' WHERE client_id = 'A2'", {}))
    said = _build_saying(engine, store)
    assert said[0] == "6 Personen in 2 Teilen; nur die 1 geänderten werden gelesen …"
    assert said[1:] == [
        "Teil 1 von 2: Bestände ab 2013-08, Bewegungen ab 2012-08 neu gebaut",
        "Teil 2 von 2: unverändert übernommen",
    ]
    _assert_same_as_a_full_build(engine, store, tmp_path / "second")
    _assert_same_sources(store, tmp_path / "second" / "full")


def _assert_same_sources(store: Path, full: Path) -> None:
    """The kept source rows of the current versions of both stores are the same, in the same
    order (the next build takes them over)."""
    folders = []
    for root in (store, full):
        manifest = cube_store.current(root, LABEL, DEMO_SECRET)
        assert manifest is not None
        folders.append(cube_store.database_folder(root, LABEL) / manifest.folder / "_build")
    files = sorted(p.relative_to(folders[1]) for p in (folders[1] / "source").rglob("*.parquet"))
    assert files and files == sorted(
        p.relative_to(folders[0]) for p in (folders[0] / "source").rglob("*.parquet")
    )
    for file in files:
        assert pl.read_parquet(folders[0] / file).equals(pl.read_parquet(folders[1] / file)), file


def test_without_a_complete_record_everything_is_read(build_db, tmp_path) -> None:
    store = tmp_path / "store"
    engine = _deliver(build_db, "2013-06")
    _build(engine, store)
    # a municipality moves to the other district: it may concern every person
    _change(
        engine,
        ("UPDATE municipality SET district_key = :d WHERE ags = '08135020'", {"d": SECOND}),
        NEW_VERSION,
    )
    said = _build_saying(engine, store)
    assert said[0].endswith("Tabellen werden gelesen …")
    _assert_same_as_a_full_build(engine, store, tmp_path / "moved")
    # a build without a mark of the record (before it existed): read everything
    manifest = cube_store.current(store, LABEL, DEMO_SECRET)
    assert manifest is not None
    path = cube_store.database_folder(store, LABEL) / manifest.folder / "_build" / "build.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"mark"', '"old"'), "utf-8")
    _change(engine, ("UPDATE client SET sex = 'm' WHERE id = 'A3'", {}), NEW_VERSION)
    said = _build_saying(engine, store)
    assert said[0].endswith("Tabellen werden gelesen …")
    _assert_same_as_a_full_build(engine, store, tmp_path / "unmarked")
    # a new category (the parts are typed anew) and a kept file gone: read everything
    _change(engine, ("UPDATE client SET sex = 'd' WHERE id = 'B2'", {}), NEW_VERSION)
    said = _build_saying(engine, store)
    assert said[0].endswith("Tabellen werden gelesen …")
    _assert_same_as_a_full_build(engine, store, tmp_path / "category")
    manifest = cube_store.current(store, LABEL, DEMO_SECRET)
    assert manifest is not None
    kept = cube_store.database_folder(store, LABEL) / manifest.folder / "_build" / "source"
    for file in (kept / "spells").glob("*.parquet"):
        file.unlink()
    _change(engine, ("UPDATE integration SET kind = 'training' WHERE client_id = 'B2'", {}))
    said = _build_saying(engine, store)
    assert said[:2] == [
        "6 Personen in 2 Teilen; nur die 1 geänderten werden gelesen …",  # given up
        "6 Personen in 2 Teilen; Tabellen werden gelesen …",
    ]
    _assert_same_as_a_full_build(engine, store, tmp_path / "unreadable")
    # the record cannot be emptied by hand (nothing after a mark can go missing)
    with pytest.raises(DatabaseError, match="nur angefügt"):
        _change(engine, ("DELETE FROM case_change WHERE id > 1", {}))
    with pytest.raises(DatabaseError, match="nur angefügt"):
        _change(engine, ("UPDATE case_change SET client_id = 'A1'", {}))
