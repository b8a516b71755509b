"""The provider directory as an Open Referral HSDS 3.0 package: export, import, round trips."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
import uuid
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from data_access.auth import Actor
from data_access.db import create_db_engine, ensure_schema
from data_access.models import (
    Barrier,
    District,
    Municipality,
    Provider,
    ProviderLocation,
    Referral,
    Service,
    ServiceArea,
    ServiceCategory,
    ServiceCategoryBarrier,
)
from data_access.store import replace_dataset
from teilhabe import figures
from teilhabe.cli.main import main
from teilhabe.exchange.hsds import importing
from teilhabe.exchange.hsds.export import export_hsds
from teilhabe.exchange.hsds.importing import Change
from teilhabe.exchange.hsds.package import HsdsPackageInvalid
from teilhabe.exchange.hsds.schema import RESOURCES, hsds_id
from teilhabe.exchange.report import Counts


def import_hsds(*args, **kwargs) -> importing.HsdsImportReport:
    kwargs.setdefault("actor", Actor.command_line("tester"))
    return importing.import_hsds(*args, **kwargs)


TODAY = dt.date(2024, 1, 15)
DIRECTORY_TABLES = (Provider, Service, ServiceArea, ServiceCategory, ServiceCategoryBarrier)
FILES = sorted([f"{r.name}.csv" for r in RESOURCES] + ["datapackage.json"])


# --- Helpers ---------------------------------------------------------------------------------


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write(folder: Path, name: str, rows: list[dict[str, str]]) -> None:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    with (folder / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of the directory tables, plus the number of referrals."""
    with engine.connect() as connection:
        tables = {
            model.__tablename__: sorted(
                tuple(row) for row in connection.execute(select(model.__table__))
            )
            for model in DIRECTORY_TABLES
        }
        tables["referrals"] = [
            (connection.execute(select(func.count()).select_from(Referral)).scalar_one(),)
        ]
    return tables


@pytest.fixture
def demo_copy(demo_sqlite_url: str, tmp_path: Path):
    """A private copy of the demo database, free to change."""
    target = tmp_path / "copy.sqlite"
    source = sqlite3.connect(make_url(demo_sqlite_url).database)
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    engine = create_db_engine(make_url(f"sqlite:///{target}"))
    yield engine
    engine.dispose()


def directory_database(url: str, demo_engine: Engine) -> Engine:
    """A database with the demo's districts, municipalities and barriers, and no directory."""
    engine = create_db_engine(make_url(url))
    ensure_schema(engine, allow_upgrade=True)
    with demo_engine.connect() as connection:
        tables = {
            model.__tablename__: pl.DataFrame(
                [dict(row) for row in connection.execute(select(model.__table__)).mappings()]
            )
            for model in (District, Municipality, Barrier)
        }
    replace_dataset(engine=engine, tables=tables)
    return engine


@pytest.fixture(scope="module")
def demo_package(demo_engine, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hsds") / "demo"
    export_hsds(demo_engine, folder, today=TODAY)
    return folder


def fresh_export(engine: Engine, tmp_path: Path, name: str = "package") -> Path:
    folder = tmp_path / name
    export_hsds(engine, folder, today=TODAY)
    return folder


# --- Export ----------------------------------------------------------------------------------


def test_export_writes_one_file_per_hsds_object_and_a_datapackage(demo_engine, tmp_path) -> None:
    written = export_hsds(demo_engine, tmp_path / "hsds", today=TODAY)
    assert written == {
        "organization": 20,
        "location": 20,
        "address": 20,
        "phone": 20,
        "service": 28,
        "service_at_location": 28,
        "service_area": 180,
        "taxonomy": 2,
        "taxonomy_term": 20,
        "attribute": 28 + 32,  # one category per service, plus the barriers it addresses
    }
    assert sorted(p.name for p in (tmp_path / "hsds").iterdir()) == FILES


def test_organizations_locations_and_addresses_of_the_demo(demo_package) -> None:
    organizations = read(demo_package, "organization.csv")
    assert [o["teilhabe_id"] for o in organizations] == [f"P{n:02d}" for n in range(1, 21)]
    p03 = organizations[2]
    assert p03 == {
        "id": hsds_id("organization", "P03"),
        "name": "Sprachschule Albuch",
        "description": "Bildungsträger in Heidenheim an der Brenz",
        "email": "kontakt@p03.example.org",
        "website": "https://p03.example.org",
        "teilhabe_id": "P03",
        "teilhabe_kind": "education",
    }
    location = next(
        r for r in read(demo_package, "location.csv") if r["organization_id"] == p03["id"]
    )
    assert (location["location_type"], location["teilhabe_municipality_ags"]) == (
        "physical",
        "08135019",
    )
    assert 48.6 < float(location["latitude"]) < 48.8 and 10.0 < float(location["longitude"]) < 10.3
    address = next(
        r for r in read(demo_package, "address.csv") if r["location_id"] == location["id"]
    )
    assert {k: v for k, v in address.items() if k not in ("id", "location_id")} == {
        "address_1": "Lindenplatz 2",
        "city": "Heidenheim an der Brenz",
        "state_province": "Baden-Württemberg",
        "postal_code": "89518",
        "country": "DE",
        "address_type": "physical",
    }
    phone = next(r for r in read(demo_package, "phone.csv") if r["organization_id"] == p03["id"])
    assert (phone["number"], phone["type"]) == ("07321 103333", "voice")


def test_services_their_category_barriers_and_areas(demo_package, demo_engine) -> None:
    services = {s["teilhabe_id"]: s for s in read(demo_package, "service.csv")}
    assert len(services) == 28
    s = services["P19-S2"]
    assert {k: s[k] for k in ("name", "status", "teilhabe_labour_market_measure")} == {
        "name": "Psychosoziale Betreuung (Beratungsladen)",
        "status": "active",
        "teilhabe_labour_market_measure": "false",
    }
    assert s["organization_id"] == hsds_id("organization", "P19")
    terms = {t["id"]: t for t in read(demo_package, "taxonomy_term.csv")}
    attributes = read(demo_package, "attribute.csv")
    # every service has exactly one category, and the barrier terms of that category
    for service in services.values():
        links = [a for a in attributes if a["link_id"] == service["id"]]
        assert all(a["link_entity"] == "service" for a in links)
        categories = [
            terms[a["taxonomy_term_id"]] for a in links if a["link_type"] == "service_category"
        ]
        assert len(categories) == 1, service["teilhabe_id"]
        barriers = sorted(
            terms[a["taxonomy_term_id"]]["code"]
            for a in links
            if a["link_type"] == "addressed_barrier"
        )
        assert barriers == categories[0]["teilhabe_barrier_codes"].split(";")
    psychosocial = next(t for t in terms.values() if t["code"] == "psychosocial_support")
    assert (psychosocial["name"], psychosocial["teilhabe_barrier_codes"]) == (
        "Psychosoziale Betreuung",
        "mental_health;motivation",
    )
    debts = next(t for t in terms.values() if t["code"] == "debts")
    assert (debts["name"], debts["teilhabe_key_factor"]) == ("Schulden", "Rahmenbedingungen")
    taxonomies = {t["id"]: t["teilhabe_code"] for t in read(demo_package, "taxonomy.csv")}
    assert (
        sorted(taxonomies[t["taxonomy_id"]] for t in terms.values())
        == ["barrier"] * 10 + ["service_category"] * 10
    )
    areas = read(demo_package, "service_area.csv")
    with demo_engine.connect() as connection:
        in_database = sorted(
            connection.execute(select(ServiceArea.service_id, ServiceArea.municipality_ags))
        )
    service_ids = {s["id"]: sid for sid, s in services.items()}
    assert sorted((service_ids[a["service_id"]], a["extent"]) for a in areas) == in_database
    giengen = next(a for a in areas if a["extent"] == "08135016")
    assert (giengen["name"], giengen["extent_type"]) == ("Giengen an der Brenz", "text")


def test_every_id_is_a_uuid_and_every_reference_resolves(demo_package) -> None:
    rows = {r.name: read(demo_package, f"{r.name}.csv") for r in RESOURCES}
    ids = {name: {row["id"] for row in table} for name, table in rows.items()}
    for resource in RESOURCES:
        assert len(ids[resource.name]) == len(rows[resource.name]), resource.name
        for row in rows[resource.name]:
            for column, value in row.items():
                if (column == "id" or column.endswith("_id")) and column != "teilhabe_id" and value:
                    assert uuid.UUID(value).version == 5, (resource.name, column)
            for column, target in resource.references:
                assert not row[column] or row[column] in ids[target], (resource.name, column)
    for attribute in rows["attribute"]:
        assert attribute["link_id"] in ids[attribute["link_entity"]]


def test_the_datapackage_describes_the_files(demo_package) -> None:
    package = json.loads((demo_package / "datapackage.json").read_text(encoding="utf-8"))
    assert package["profile"] == "tabular-data-package"
    assert package["name"] == "teilhabe-monitor-anbieterverzeichnis"
    assert "HSDS" in package["title"]
    names = [r["name"] for r in package["resources"]]
    assert names == [r.name for r in RESOURCES]
    for resource in package["resources"]:
        with (demo_package / resource["path"]).open(encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        fields = resource["schema"]["fields"]
        assert header == [f["name"] for f in fields], resource["name"]
        assert resource["profile"] == "tabular-data-resource"
        assert resource["schema"]["primaryKey"] == "id"
        assert fields[0] == {
            "name": "id",
            "type": "string",
            "format": "uuid",
            "constraints": {"required": True, "unique": True},
        }
        for key in resource["schema"].get("foreignKeys", []):
            assert key["fields"] in header
            assert key["reference"]["resource"] in names
    service = next(r for r in package["resources"] if r["name"] == "service")
    types = {f["name"]: f["type"] for f in service["schema"]["fields"]}
    assert (types["teilhabe_capacity"], types["teilhabe_active_from"]) == ("integer", "date")
    assert types["teilhabe_labour_market_measure"] == "boolean"


def test_no_client_level_data_in_the_package(demo_package) -> None:
    forbidden = ("client", "referral", "integration", "reach", "birth", "sex", "household")
    for path in demo_package.iterdir():
        assert not any(word in path.name for word in forbidden)
        if path.suffix == ".csv":
            with path.open(encoding="utf-8") as handle:
                header = next(csv.reader(handle))
            assert not [c for c in header if any(word in c for word in forbidden)], path.name


def test_exporting_twice_gives_byte_identical_files(demo_engine, demo_package, tmp_path) -> None:
    assert files(fresh_export(demo_engine, tmp_path)) == files(demo_package)


def test_a_service_that_ended_is_inactive(demo_copy, tmp_path) -> None:
    with demo_copy.begin() as connection:
        connection.execute(
            Service.__table__.update()
            .where(Service.id == "P03-S1")
            .values(active_to=dt.date(2020, 6, 30))
        )
    services = {s["teilhabe_id"]: s for s in read(fresh_export(demo_copy, tmp_path), "service.csv")}
    assert (services["P03-S1"]["status"], services["P03-S1"]["teilhabe_active_to"]) == (
        "inactive",
        "2020-06-30",
    )
    assert services["P02-S1"]["status"] == "active"


# --- Import ----------------------------------------------------------------------------------


def test_round_trip_through_a_fresh_database(demo_engine, demo_package, tmp_path) -> None:
    engine = directory_database(f"sqlite:///{tmp_path / 'fresh.sqlite'}", demo_engine)
    try:
        report = import_hsds(engine, demo_package)
        assert report.counts == {
            "service_category": Counts(10, 0, 0),
            "provider": Counts(20, 0, 0),
            "service": Counts(28, 0, 0),
            "service_category_barrier": Counts(11, 0, 0, removed=0),
            "service_area": Counts(180, 0, 0, removed=0),
        }
        assert files(fresh_export(engine, tmp_path, "again")) == files(demo_package)
        for table in ("provider", "service", "service_area", "service_category"):
            assert snapshot(engine)[table] == snapshot(demo_engine)[table]
        # importing the same package again changes nothing
        again = import_hsds(engine, demo_package)
        assert again.changes == []
        assert {t: c.unchanged for t, c in again.counts.items()} == {
            "service_category": 10,
            "provider": 20,
            "service": 28,
            "service_category_barrier": 11,
            "service_area": 180,
        }
    finally:
        engine.dispose()


def test_a_changed_name_and_phone_update_exactly_those_rows(demo_copy, tmp_path) -> None:
    folder = fresh_export(demo_copy, tmp_path)
    organizations = read(folder, "organization.csv")
    organizations[2]["name"] = "Sprachschule Albuch-Nord"
    write(folder, "organization.csv", organizations)
    phones = read(folder, "phone.csv")
    p05 = hsds_id("organization", "P05")
    next(p for p in phones if p["organization_id"] == p05)["number"] = "07321 999999"
    write(folder, "phone.csv", phones)
    before = snapshot(demo_copy)
    version = figures.dataset_info(engine=demo_copy)["data_version"]

    report = import_hsds(demo_copy, folder)

    # a new data version, so that a running app shows the changed directory
    assert figures.dataset_info(engine=demo_copy)["data_version"].startswith("hsds-")
    assert figures.dataset_info(engine=demo_copy)["data_version"] != version
    assert report.counts["provider"] == Counts(0, 2, 18)
    assert report.counts["service"] == Counts(0, 0, 28)
    assert report.changes == [
        Change("provider", "P03", "name", "Sprachschule Albuch", "Sprachschule Albuch-Nord"),
        Change("provider", "P05", "phone", "07321 105555", "07321 999999"),
    ]
    after = snapshot(demo_copy)
    assert {t for t in before if before[t] != after[t]} == {"provider"}
    changed = sorted(set(after["provider"]) - set(before["provider"]))
    assert [(row[0], row[1], row[10]) for row in changed] == [
        ("P03", "Sprachschule Albuch-Nord", "07321 103333"),
        ("P05", "Suchthilfe Härtsfeld", "07321 999999"),
    ]
    assert len(set(before["provider"]) - set(after["provider"])) == 2


def test_dry_run_reports_but_changes_nothing(demo_copy, tmp_path) -> None:
    folder = fresh_export(demo_copy, tmp_path)
    services = read(folder, "service.csv")
    services[0]["teilhabe_capacity"] = "99"
    write(folder, "service.csv", services)
    areas = [a for a in read(folder, "service_area.csv") if a["extent"] != "08135010"]
    write(folder, "service_area.csv", areas)
    before = snapshot(demo_copy)

    report = import_hsds(demo_copy, folder, dry_run=True)

    assert report.dry_run is True
    assert report.counts["service"].updated == 1
    assert report.changes[0] == Change("service", "P01-S1", "capacity", 10, 99)
    removed = report.counts["service_area"].removed
    assert removed > 0 and all(
        c.old == "08135010" for c in report.changes if c.table == "service_area"
    )
    assert snapshot(demo_copy) == before


def test_changed_categories_and_areas_are_upserted(demo_copy, tmp_path) -> None:
    folder = fresh_export(demo_copy, tmp_path)
    terms = read(folder, "taxonomy_term.csv")
    debt = next(t for t in terms if t["code"] == "debt_counselling")
    debt["name"] = "Schuldner- und Insolvenzberatung"
    debt["teilhabe_barrier_codes"] = "debts;mental_health"
    write(folder, "taxonomy_term.csv", terms)
    areas = read(folder, "service_area.csv")
    service = hsds_id("service", "P20-S1")
    areas.append(
        {
            "id": str(uuid.uuid4()),
            "service_id": service,
            "name": "Dischingen",
            "extent": "08135010",
            "extent_type": "text",
        }
    )
    write(folder, "service_area.csv", areas)

    report = import_hsds(demo_copy, folder)

    assert report.counts["service_category"] == Counts(0, 1, 9)
    assert report.counts["service_category_barrier"] == Counts(1, 0, 11, removed=0)
    assert report.counts["service_area"].added == 1
    with demo_copy.connect() as connection:
        assert (
            connection.execute(
                select(ServiceCategory.label).where(ServiceCategory.code == "debt_counselling")
            ).scalar_one()
            == "Schuldner- und Insolvenzberatung"
        )
        assert sorted(
            connection.execute(
                select(ServiceCategoryBarrier.barrier_code).where(
                    ServiceCategoryBarrier.category_code == "debt_counselling"
                )
            ).scalars()
        ) == ["debts", "mental_health"]
        assert ("P20-S1", "08135010") in set(
            connection.execute(select(ServiceArea.service_id, ServiceArea.municipality_ags)).all()
        )


def test_providers_missing_from_the_package_are_kept(demo_copy, tmp_path) -> None:
    """A package without P20 deletes nothing: referrals may point to its services."""
    folder = fresh_export(demo_copy, tmp_path)
    organization = hsds_id("organization", "P20")
    services = {
        s["id"] for s in read(folder, "service.csv") if s["organization_id"] == organization
    }
    locations = {
        r["id"] for r in read(folder, "location.csv") if r["organization_id"] == organization
    }
    for name, keep in (
        ("organization.csv", lambda r: r["id"] != organization),
        ("location.csv", lambda r: r["id"] not in locations),
        ("address.csv", lambda r: r["location_id"] not in locations),
        ("phone.csv", lambda r: r["organization_id"] != organization),
        ("service.csv", lambda r: r["id"] not in services),
        ("service_at_location.csv", lambda r: r["service_id"] not in services),
        ("service_area.csv", lambda r: r["service_id"] not in services),
        ("attribute.csv", lambda r: r["link_id"] not in services),
    ):
        write(folder, name, [r for r in read(folder, name) if keep(r)])
    before = snapshot(demo_copy)

    report = import_hsds(demo_copy, folder)

    assert report.not_in_package == {"provider": ["P20"], "service": ["P20-S1", "P20-S2"]}
    assert report.changes == []
    assert snapshot(demo_copy) == before


def test_every_problem_of_a_bad_package_is_reported_and_nothing_changes(
    demo_copy, tmp_path
) -> None:
    folder = fresh_export(demo_copy, tmp_path)
    missing_organization = "2f1e7a55-0000-4000-8000-000000000001"
    services = read(folder, "service.csv")
    services[1]["organization_id"] = missing_organization
    write(folder, "service.csv", services)
    terms = read(folder, "taxonomy_term.csv")
    terms[3]["code"] = "zauberei"
    write(folder, "taxonomy_term.csv", terms)
    locations = read(folder, "location.csv")
    locations[2]["latitude"] = "123"
    write(folder, "location.csv", locations)
    phones = read(folder, "phone.csv")
    write(folder, "phone.csv", [*phones, phones[0]])
    before = snapshot(demo_copy)

    with pytest.raises(HsdsPackageInvalid) as raised:
        import_hsds(demo_copy, folder)

    problems = [(p.file, p.row, p.field, p.value) for p in raised.value.problems]
    assert sorted(problems) == sorted(
        [
            ("service.csv", 3, "organization_id", missing_organization),
            ("taxonomy_term.csv", 5, "code", "zauberei"),
            ("location.csv", 4, "latitude", "123"),
            ("phone.csv", 22, "id", phones[0]["id"]),
        ]
    )
    message = str(raised.value)
    assert "wurde nicht importiert (4 Probleme); die Datenbank ist unverändert" in message
    assert (
        "location.csv, Zeile 4, Feld latitude, Wert „123“: "
        "Der Wert liegt nicht zwischen -90 und 90." in message
    )
    assert (
        "taxonomy_term.csv, Zeile 5, Feld code, Wert „zauberei“: Unbekannte Leistungskategorie"
        in message
    )
    assert "phone.csv, Zeile 22, Feld id" in message and "doppelt vor (auch in Zeile 2)" in message
    assert f"service.csv, Zeile 3, Feld organization_id, Wert „{missing_organization}“" in message
    assert snapshot(demo_copy) == before


def test_a_failure_while_writing_rolls_everything_back(demo_copy, tmp_path, monkeypatch) -> None:
    from teilhabe.exchange.hsds import importing

    folder = fresh_export(demo_copy, tmp_path)
    organizations = read(folder, "organization.csv")
    organizations[0]["name"] = "Bildungswerk Brenztal gGmbH"
    write(folder, "organization.csv", organizations)
    before = snapshot(demo_copy)
    apply = importing._apply

    def apply_then_fail(connection, plan) -> None:
        apply(connection, plan)
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "_apply", apply_then_fail)
    with pytest.raises(RuntimeError):
        import_hsds(demo_copy, folder)
    assert snapshot(demo_copy) == before


def test_missing_files_columns_and_unknown_municipalities(demo_copy, tmp_path) -> None:
    folder = fresh_export(demo_copy, tmp_path)
    (folder / "attribute.csv").unlink()
    organizations = read(folder, "organization.csv")
    with (folder / "organization.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "description", "teilhabe_id", "teilhabe_kind"])
        writer.writerows(
            [o["id"], o["description"], o["teilhabe_id"], o["teilhabe_kind"]] for o in organizations
        )
    areas = read(folder, "service_area.csv")
    areas[0]["extent"] = "08999999"
    write(folder, "service_area.csv", areas)
    before = snapshot(demo_copy)

    with pytest.raises(HsdsPackageInvalid) as raised:
        import_hsds(demo_copy, folder)

    problems = {(p.file, p.row, p.field, p.value, p.message) for p in raised.value.problems}
    assert ("attribute.csv", None, None, None, "Die Datei fehlt.") in problems
    assert ("organization.csv", 1, "name", None, "Die Pflichtspalte fehlt.") in problems
    assert (
        "service_area.csv",
        2,
        "extent",
        "08999999",
        "Unbekannte Gemeinde (AGS nicht in der Datenbank).",
    ) in problems
    assert snapshot(demo_copy) == before


def test_a_package_with_the_plural_file_names_of_hsds_tools(demo_copy, tmp_path) -> None:
    folder = fresh_export(demo_copy, tmp_path)
    (folder / "datapackage.json").unlink()
    (folder / "organization.csv").rename(folder / "organizations.csv")
    (folder / "taxonomy.csv").rename(folder / "taxonomies.csv")
    report = import_hsds(demo_copy, folder, dry_run=True)
    assert report.counts["provider"] == Counts(0, 0, 20)


# --- Command line ----------------------------------------------------------------------------


def test_cli_export(demo_sqlite_url, demo_package, tmp_path, capsys) -> None:
    target = tmp_path / "cli"
    code = main(["providers", "export", "--hsds", str(target), "--database-url", demo_sqlite_url])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out == (
        f"HSDS-Paket nach {target} geschrieben: 20 Organisationen, 28 Leistungen, "
        "180 Versorgungsgebiete, 20 Taxonomiebegriffe.\n"
    )
    assert sorted(files(target)) == FILES


def test_cli_export_into_a_file_is_refused(demo_sqlite_url, tmp_path, capsys) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    code = main(["providers", "export", "--hsds", str(target), "--database-url", demo_sqlite_url])
    assert code == 2
    assert capsys.readouterr().err == f"Fehler: {target} ist kein Ordner.\n"


def test_cli_import_dry_run_and_real(demo_copy, tmp_path, capsys) -> None:
    folder = fresh_export(demo_copy, tmp_path)
    organizations = read(folder, "organization.csv")
    organizations[0]["name"] = "Bildungswerk Brenztal gGmbH"
    write(folder, "organization.csv", organizations)
    url = demo_copy.url.render_as_string(hide_password=False)
    args = ["providers", "import", "--hsds", str(folder), "--database-url", url]

    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Anbieter: 0 neu, 1 geändert, 19 unverändert" in out
    assert (
        "geändert: Anbieter P01: name „Bildungswerk Brenztal“ → „Bildungswerk Brenztal gGmbH“"
        in out
    )
    assert out.rstrip().endswith("Probelauf (--dry-run): Die Datenbank wurde nicht verändert.")

    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Anbieter: 0 neu, 1 geändert, 19 unverändert" in out and "Probelauf" not in out
    assert main(args) == 0
    assert "Anbieter: 0 neu, 0 geändert, 20 unverändert" in capsys.readouterr().out


def test_cli_import_of_a_bad_package_exits_2_with_every_problem(
    demo_copy, tmp_path, capsys
) -> None:
    folder = fresh_export(demo_copy, tmp_path)
    locations = read(folder, "location.csv")
    locations[0]["longitude"] = "abc"
    locations[1]["teilhabe_municipality_ags"] = "00000000"
    write(folder, "location.csv", locations)
    url = demo_copy.url.render_as_string(hide_password=False)
    code = main(["providers", "import", "--hsds", str(folder), "--database-url", url])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0].startswith("Fehler: Das HSDS-Paket") and "(2 Probleme)" in lines[0]
    assert lines[1:] == [
        "  - location.csv, Zeile 2, Feld longitude, Wert „abc“: Der Wert ist keine Zahl.",
        "  - location.csv, Zeile 3, Feld teilhabe_municipality_ags, Wert „00000000“: "
        "Unbekannte Gemeinde (AGS nicht in der Datenbank).",
    ]


def test_cli_import_of_a_missing_folder(demo_sqlite_url, tmp_path, capsys) -> None:
    missing = tmp_path / "nowhere"
    code = main(["providers", "import", "--hsds", str(missing), "--database-url", demo_sqlite_url])
    assert code == 2
    assert capsys.readouterr().err == f"Fehler: Der Ordner {missing} existiert nicht.\n"


def test_cli_needs_the_folder(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["providers", "export"])
    assert exit_info.value.code == 2
    assert "--hsds" in capsys.readouterr().err


# --- PostgreSQL ------------------------------------------------------------------------------


def test_round_trip_on_postgresql(postgres_url, demo_engine, demo_package, tmp_path) -> None:
    """Import into PostgreSQL (a schema of its own) and export again: the same bytes."""
    from sqlalchemy import create_engine, text

    schema = "hsds_round_trip"
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = directory_database(url.render_as_string(hide_password=False), demo_engine)
    try:
        report = import_hsds(engine, demo_package)
        assert report.counts["provider"].added == 20
        assert files(fresh_export(engine, tmp_path, "from-postgres")) == files(demo_package)
        assert import_hsds(engine, demo_package).changes == []
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


# --- Packages of other tools (issue 14) ------------------------------------------------------

# the Open Referral HSDS 3.0 example as published (copied from shared/reference; see its NOTICE.md)
EXAMPLE = Path(__file__).resolve().parent / "fixtures" / "hsds_3.0_example"
ORGANIZATION = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
LOCATION = "3a19ff88-4620-4d17-9830-ac1d859eb5d5"
SERVICE = "ac148810-d857-441c-9679-408f346de14b"
HEIDENHEIM = "08135019"
# a square of about 3 km around the town centre of Heidenheim (WGS84)
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[10.13, 48.665], [10.17, 48.665], [10.17, 48.69], [10.13, 48.69], [10.13, 48.665]]
    ],
}


def example_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "example"
    folder.mkdir()
    for path in EXAMPLE.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


def edit(folder: Path, name: str, **values: str) -> None:
    rows = read(folder, name)
    for row in rows:
        row.update(values)
    write(folder, name, rows)


def repaired_example(tmp_path: Path) -> Path:
    """The example with its broken references and coordinates repaired, the organisation in
    Heidenheim, its service area a GeoJSON square there."""
    folder = example_copy(tmp_path)
    edit(folder, "organizations.csv", parent_organization_id="")
    edit(folder, "locations.csv", organization_id=ORGANIZATION, latitude="48.6767")
    edit(folder, "locations.csv", longitude="10.1522")
    edit(folder, "contacts.csv", organization_id=ORGANIZATION)
    edit(folder, "contacts.csv", service_at_location_id="e94c9f38-1e8f-4564-91d4-d53501ab1765")
    edit(folder, "taxonomy_terms.csv", parent_id="")
    edit(folder, "taxonomy_terms.csv", taxonomy_id="5c4d79d7-cc55-470e-9f1f-8cad074e4892")
    edit(folder, "attributes.csv", link_entity="service", link_id=SERVICE)
    edit(folder, "service_areas.csv", extent=json.dumps(SQUARE))
    return folder


def test_the_specification_example_as_published_is_refused_with_every_problem_at_once(
    demo_copy, tmp_path
) -> None:
    folder = example_copy(tmp_path)
    before = snapshot(demo_copy)
    with pytest.raises(HsdsPackageInvalid) as raised:
        import_hsds(demo_copy, folder)
    problems = {(p.file, p.row, p.field) for p in raised.value.problems}
    assert problems == {
        ("organizations.csv", 2, "parent_organization_id"),
        ("organizations.csv", 2, "id"),  # no location of its own
        ("locations.csv", 2, "organization_id"),
        ("locations.csv", 2, "latitude"),  # 100
        ("taxonomy_terms.csv", 2, "parent_id"),
        ("taxonomy_terms.csv", 2, "taxonomy_id"),
        ("attributes.csv", 2, "link_entity"),
        ("contacts.csv", 2, "organization_id"),
        ("contacts.csv", 2, "service_at_location_id"),
        ("service_at_location.csv", 2, "location_id"),
        ("service_areas.csv", 2, "extent"),  # extent_type geojson, extent "extent"
    }
    message = str(raised.value)
    # the files are named as they are in the package
    assert "Verweis ins Leere: organizations.csv hat keine Zeile mit dieser id." in message
    assert "Verweis ins Leere: taxonomies.csv hat keine Zeile mit dieser id." in message
    assert "Die Organisation hat keinen Standort in locations.csv." in message
    assert "locations.csv, Zeile 2, Feld latitude, Wert „100“" in message
    for ours in ("organization.csv", "location.csv", "taxonomy.csv"):
        assert f" {ours}" not in message and not message.startswith(ours)
    assert snapshot(demo_copy) == before


def test_the_repaired_example_imports_with_warnings_and_keeps_ids_and_fields(
    demo_copy, tmp_path
) -> None:
    folder = repaired_example(tmp_path)
    # without a category map the service cannot be placed: listed, not imported
    report = import_hsds(demo_copy, folder, dry_run=True)
    assert report.counts["provider"].added == 1
    assert report.counts["service"].added == 0
    warnings = "\n".join(report.notes)
    assert "Leistung „Community Counselling“ nicht übernommen" in warnings
    assert "--category-map" in warnings
    assert "als Beratungsstelle (counselling) übernommen" in warnings
    assert "aus den Koordinaten" in warnings

    mapping = tmp_path / "kategorien.csv"
    mapping.write_text("term;category\ncode;psychosocial_support\n", encoding="utf-8")
    report = import_hsds(demo_copy, folder, category_map=mapping)
    assert report.counts["provider"].added == 1
    assert report.counts["service"].added == 1
    with demo_copy.connect() as connection:
        provider = connection.execute(
            select(Provider.__table__).where(Provider.id == ORGANIZATION)
        ).one()
        service = connection.execute(select(Service.__table__).where(Service.id == SERVICE)).one()
        areas = (
            connection.execute(
                select(ServiceArea.municipality_ags).where(ServiceArea.service_id == SERVICE)
            )
            .scalars()
            .all()
        )
    assert (provider.kind, provider.municipality_ags, provider.city) == (
        "counselling",
        HEIDENHEIM,
        "MyCity",
    )
    assert (service.category_code, service.provider_id) == ("psychosocial_support", ORGANIZATION)
    assert HEIDENHEIM in areas  # the GeoJSON square lies in Heidenheim

    out = fresh_export(demo_copy, tmp_path, "out")
    organization = next(r for r in read(out, "organization.csv") if r["id"] == ORGANIZATION)
    original = read(folder, "organizations.csv")[0]
    for name in ("name", "alternate_name", "description", "tax_status", "year_incorporated"):
        assert organization[name] == original[name], name
    exported = next(r for r in read(out, "service.csv") if r["id"] == SERVICE)
    original = read(folder, "services.csv")[0]
    for name in ("name", "alternate_name", "description", "fees_description", "url"):
        assert exported[name] == original[name].strip(), name  # values are read trimmed
    assert exported["eligibility_description"] == original["eligibility_description"]
    location = next(r for r in read(out, "location.csv") if r["id"] == LOCATION)
    assert location["name"] == "MyCity Civic Center"
    address = next(r for r in read(out, "address.csv") if r["location_id"] == LOCATION)
    assert (address["country"], address["state_province"]) == ("US", "MyState")
    assert [r["name"] for r in read(out, "language.csv")] == ["Urdu"]
    assert [r["service_id"] for r in read(out, "cost_option.csv")] == [SERVICE]
    foreign = [r for r in read(out, "taxonomy_term.csv") if r["code"] == "code"]
    assert [r["id"] for r in foreign] == ["3f7b145d-84af-42d7-8fae-eaca714b02b2"]
    kept_area = next(r for r in read(out, "service_area.csv") if r["extent_type"] == "geojson")
    assert json.loads(kept_area["extent"]) == SQUARE
    descriptor = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert "language" in {r["name"] for r in descriptor["resources"]}
    # and the exported package reads back without any change
    again = import_hsds(demo_copy, out)
    assert again.changes == [], again.changes[:5]


def test_a_category_map_with_barriers_and_its_own_problems(demo_copy, tmp_path) -> None:
    folder = repaired_example(tmp_path)
    mapping = tmp_path / "map.csv"
    mapping.write_text("Begriff,Hemmnis\nname,debts\n", encoding="utf-8")
    report = import_hsds(demo_copy, folder, category_map=mapping, dry_run=True)
    assert report.counts["service"].added == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("term;category\ncode;zauberei\n", encoding="utf-8")
    with pytest.raises(HsdsPackageInvalid) as raised:
        import_hsds(demo_copy, folder, category_map=bad)
    assert [(p.file, p.row, p.field, p.value) for p in raised.value.problems] == [
        ("bad.csv", 2, "category", "zauberei")
    ]


def test_several_locations_per_organisation_and_a_geojson_service_area(demo_copy, tmp_path) -> None:
    folder = fresh_export(demo_copy, tmp_path)
    organizations = read(folder, "organization.csv")
    organization = next(o for o in organizations if o["teilhabe_id"] == "P03")
    locations = read(folder, "location.csv")
    second = str(uuid.uuid4())
    locations.append(
        {
            "id": second,
            "location_type": "physical",
            "organization_id": organization["id"],
            "name": "Außenstelle Giengen",
            "latitude": "48.6213",
            "longitude": "10.2443",
            "teilhabe_municipality_ags": "08135016",
        }
    )
    write(folder, "location.csv", locations)
    addresses = read(folder, "address.csv")
    addresses.append(
        {
            "id": str(uuid.uuid4()),
            "location_id": second,
            "address_1": "Marktstraße 5",
            "city": "Giengen an der Brenz",
            "postal_code": "89537",
            "country": "DE",
        }
    )
    write(folder, "address.csv", addresses)
    service = next(s for s in read(folder, "service.csv") if s["teilhabe_id"] == "P03-S1")
    areas = read(folder, "service_area.csv")
    areas = [a for a in areas if a["service_id"] != service["id"]]
    area = str(uuid.uuid4())
    areas.append(
        {
            "id": area,
            "service_id": service["id"],
            "extent": json.dumps(SQUARE),
            "extent_type": "geojson",
        }
    )
    write(folder, "service_area.csv", areas)

    report = import_hsds(demo_copy, folder)
    assert report.counts["provider_location"] == Counts(1, 0, 0)
    with demo_copy.connect() as connection:
        further = connection.execute(select(ProviderLocation.__table__)).all()
        served = (
            connection.execute(
                select(ServiceArea.municipality_ags).where(ServiceArea.service_id == "P03-S1")
            )
            .scalars()
            .all()
        )
    assert [(f.id, f.provider_id, f.municipality_ags, f.city) for f in further] == [
        (second, "P03", "08135016", "Giengen an der Brenz")
    ]
    assert HEIDENHEIM in served and "08135016" not in served

    # the map's directory has every location of the provider
    from teilhabe.directory import provider_directory

    directory = provider_directory(engine=demo_copy)
    row = directory.filter(pl.col("provider_id") == "P03").row(0, named=True)
    assert [(p["lat"], p["city"]) for p in row["locations"]] == [(48.6213, "Giengen an der Brenz")]
    from teilhabe.reporting.maps import provider_points

    reach = pl.DataFrame(schema={"provider_id": pl.String, "clients": pl.Int64})
    points = provider_points(directory.filter(pl.col("provider_id") == "P03"), reach, {})
    assert points.height == 2 and points["lat"].sort().to_list()[0] == 48.6213
    assert any("Standort: Außenstelle Giengen" in hover for hover in points["hover"])

    out = fresh_export(demo_copy, tmp_path, "out")
    assert second in {r["id"] for r in read(out, "location.csv")}
    assert area in {r["id"] for r in read(out, "service_area.csv")}
    assert import_hsds(demo_copy, out).changes == []


def test_cli_import_of_a_foreign_package_with_a_category_map(demo_copy, tmp_path, capsys) -> None:
    folder = repaired_example(tmp_path)
    mapping = tmp_path / "kategorien.csv"
    mapping.write_text("term;category\ncode;psychosocial_support\n", encoding="utf-8")
    url = demo_copy.url.render_as_string(hide_password=False)
    args = ["providers", "import", "--hsds", str(folder), "--database-url", url, "--dry-run"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Leistungen: 0 neu" in out and "Hinweise (" in out and "--category-map" in out
    assert main([*args, "--category-map", str(mapping)]) == 0
    out = capsys.readouterr().out
    assert "Leistungen: 1 neu" in out and "nicht übernommen: keine Leistungskategorie" not in out


def test_service_areas_outside_the_district_are_kept_and_reported(demo_copy, tmp_path) -> None:
    folder = repaired_example(tmp_path)
    berlin = {"type": "Point", "coordinates": [13.4, 52.52]}
    areas = read(folder, "service_areas.csv")
    areas.append({**areas[0], "id": str(uuid.uuid4()), "extent_type": "text", "extent": "MyCity"})
    areas[0]["extent"] = json.dumps(berlin)
    write(folder, "service_areas.csv", areas)
    mapping = tmp_path / "kategorien.csv"
    mapping.write_text("term;category\ncode;psychosocial_support\n", encoding="utf-8")
    report = import_hsds(demo_copy, folder, category_map=mapping)
    warnings = "\n".join(report.notes)
    assert "service_areas.csv, Zeile 2, Feld extent: Das Gebiet (GeoJSON) überschneidet keine" in (
        warnings
    )
    assert "service_areas.csv, Zeile 3, Feld extent, Wert „MyCity“: Keine Gemeinde" in warnings
    out = fresh_export(demo_copy, tmp_path, "out")
    kept = {r["id"] for r in read(out, "service_area.csv")}
    assert {a["id"] for a in areas} <= kept


def test_optional_files_may_be_absent_required_ones_are_named_as_in_the_package(
    demo_copy, tmp_path
) -> None:
    folder = repaired_example(tmp_path)
    (folder / "funding.csv").unlink()  # named in datapackage.json, optional
    mapping = tmp_path / "kategorien.csv"
    mapping.write_text("term;category\ncode;psychosocial_support\n", encoding="utf-8")
    report = import_hsds(demo_copy, folder, category_map=mapping, dry_run=True)
    assert "funding.csv: In datapackage.json genannt, aber nicht im Paket." in report.notes
    (folder / "services.csv").unlink()
    with pytest.raises(HsdsPackageInvalid) as raised:
        import_hsds(demo_copy, folder, category_map=mapping)
    assert "services.csv: Die Datei fehlt." in [str(p) for p in raised.value.problems]
