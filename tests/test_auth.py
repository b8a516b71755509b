"""Roles and the acting person in the data layer: claims, the role table, refusals, attribution."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from data_access import auth
from data_access.auth import (
    ADMINISTRATOR,
    DATA_STEWARD,
    VIEWER,
    Actor,
    PermissionDenied,
    role_from_claims,
    role_from_table,
)
from data_access.db import create_db_engine, ensure_schema
from data_access.models import District, ImportLog
from data_access.settings import ConfigurationError, Settings
from teilhabe.cli.main import main
from teilhabe.exchange import boundaries
from teilhabe.exchange.core import import_log
from teilhabe.exchange.hsds.export import export_hsds
from teilhabe.exchange.hsds.importing import import_hsds
from teilhabe.exchange.tabular import import_table, validate
from teilhabe.exchange.templates import template_csv

MAPPING = (
    ("/Teilhabe/Lesen", VIEWER),
    ("/Teilhabe/Daten", DATA_STEWARD),
    ("jc-admins", ADMINISTRATOR),
)
ANNA = {"sub": "f3a1-anna", "email": "Anna.Berger@jobcenter.example", "name": "Anna Berger"}


@pytest.fixture
def engine(tmp_path: Path):
    engine = create_db_engine(make_url(f"sqlite:///{tmp_path / 'auth.sqlite'}"))
    ensure_schema(engine, allow_upgrade=True)
    yield engine
    engine.dispose()


def person(role: str | None, **claims) -> Actor:
    return Actor.from_claims({**ANNA, **claims}, role)


# --- Roles from the ID token -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "role"),
    [
        (["/Teilhabe/Lesen"], VIEWER),
        (["/Teilhabe/Lesen", "/Teilhabe/Daten", "andere"], DATA_STEWARD),  # the highest wins
        ("jc-admins", ADMINISTRATOR),  # one string instead of a list
        (["datenverantwortung"], DATA_STEWARD),  # a role's own name counts as that role
        (["andere", "/Teilhabe"], None),
        ([], None),
        (None, None),
        (42, None),
    ],
)
def test_the_role_claim_is_mapped_to_the_highest_role(value, role) -> None:
    claims = {**ANNA, "groups": value} if value is not None else dict(ANNA)
    assert role_from_claims(claims, "groups", MAPPING) == role


def test_another_claim_can_carry_the_roles() -> None:
    claims = {**ANNA, "roles": ["Teilhabe.Daten"], "groups": ["jc-admins"]}
    assert role_from_claims(claims, "roles", [("Teilhabe.Daten", DATA_STEWARD)]) == DATA_STEWARD


def test_roles_rank_and_refusals_name_the_role() -> None:
    assert person(ADMINISTRATOR).may(DATA_STEWARD) and person(DATA_STEWARD).may(VIEWER)
    assert not person(VIEWER).may(DATA_STEWARD) and not person(None).may(VIEWER)
    with pytest.raises(PermissionDenied, match="„Datenverantwortung“ vorbehalten.*Betrachter"):
        auth.require_role(person(VIEWER), DATA_STEWARD, "Der Import")
    with pytest.raises(PermissionDenied, match="keine Rolle"):
        auth.require_role(person(None), VIEWER, "Das Ansehen")
    with pytest.raises(PermissionDenied):
        auth.require_role(None, VIEWER, "Das Ansehen")  # type: ignore[arg-type]
    assert Actor.anonymous().role == VIEWER
    assert Actor.anonymous(imports_allowed=True).role == DATA_STEWARD
    assert Actor.command_line("root").role == ADMINISTRATOR


# --- The role table --------------------------------------------------------------------------


def test_the_role_table_matches_subject_first_then_verified_email(engine) -> None:
    admin = Actor.command_line("root")
    assert auth.add_user(engine, "ANNA.berger@jobcenter.example", VIEWER, actor=admin)
    assert role_from_table(engine, ANNA) == VIEWER
    # an e-mail the provider says is not verified does not count
    assert role_from_table(engine, {**ANNA, "email_verified": False}) is None
    # the subject wins over the e-mail
    assert auth.add_user(engine, "f3a1-anna", DATA_STEWARD, actor=admin)
    assert role_from_table(engine, ANNA) == DATA_STEWARD
    assert not auth.add_user(engine, "f3a1-anna", DATA_STEWARD, actor=admin)  # no change
    assert [u["identity"] for u in auth.list_users(engine)] == [
        "anna.berger@jobcenter.example",
        "f3a1-anna",
    ]
    assert auth.list_users(engine)[0]["added_by"] == "root"
    assert auth.remove_user(engine, "f3a1-anna", actor=admin)
    assert not auth.remove_user(engine, "f3a1-anna", actor=admin)
    assert role_from_table(engine, ANNA) == VIEWER
    assert role_from_table(engine, {"sub": "unbekannt"}) is None


def test_only_administration_manages_the_role_table(engine) -> None:
    for actor in (person(DATA_STEWARD), person(None), Actor.anonymous(imports_allowed=True)):
        with pytest.raises(PermissionDenied, match="„Administration“ vorbehalten"):
            auth.add_user(engine, "x@example.org", ADMINISTRATOR, actor=actor)
        with pytest.raises(PermissionDenied):
            auth.remove_user(engine, "x@example.org", actor=actor)
    assert auth.add_user(engine, "x@example.org", VIEWER, actor=person(ADMINISTRATOR))
    assert auth.list_users(engine)[0]["added_by"] == "Anna.Berger@jobcenter.example"
    with pytest.raises(ValueError, match="Unbekannte Rolle"):
        auth.add_user(engine, "x@example.org", "chef", actor=person(ADMINISTRATOR))


def test_resolve_role_follows_the_settings(engine, tmp_path) -> None:
    table = Settings.load(environ={}, secrets_file=tmp_path / "none.toml")
    claim = Settings.load(
        environ={
            "TEILHABE_ROLE_SOURCE": "claim",
            "TEILHABE_ROLE_MAPPING": "/Teilhabe/Daten=datenverantwortung",
        },
        secrets_file=tmp_path / "none.toml",
    )
    claims = {**ANNA, "groups": ["/Teilhabe/Daten"]}
    assert auth.resolve_role(table, engine, claims) is None  # not in the (empty) table
    assert auth.resolve_role(claim, engine, claims) == DATA_STEWARD


# --- Enforcement in the import functions -----------------------------------------------------


def districts(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(District)).scalar_one()


@pytest.mark.parametrize(
    "actor",
    [person(VIEWER), person(None), Actor.anonymous(), None],
    ids=["betrachter", "no role", "anonymous", "nobody"],
)
def test_imports_refuse_without_the_data_steward_role(engine, tmp_path, actor) -> None:
    content = template_csv("district")
    with pytest.raises(PermissionDenied):
        import_table(engine, "district", content, name="k.csv", actor=actor)
    with pytest.raises(PermissionDenied):
        validate(engine, "district", content, name="k.csv", actor=actor)
    with pytest.raises(PermissionDenied):
        import_hsds(engine, tmp_path / "nirgends", actor=actor)
    with pytest.raises(PermissionDenied):
        boundaries.import_boundaries(engine, tmp_path / "nirgends.gpkg", actor=actor)
    assert districts(engine) == 0
    assert import_log(engine).is_empty()


def test_an_import_names_the_person_subject_email_and_role(engine) -> None:
    steward = person(DATA_STEWARD)
    report = import_table(engine, "district", template_csv("district"), name="k.csv", actor=steward)
    assert report.ok and report.changed and districts(engine) == 1
    cli = import_table(
        engine, "district", template_csv("district"), name="k.csv", actor=Actor.command_line("ute")
    )
    anonymous = Actor.anonymous(imports_allowed=True)
    import_table(engine, "district", template_csv("district"), name="k.csv", actor=anonymous)
    assert cli.ok
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                ImportLog.imported_by,
                ImportLog.imported_by_subject,
                ImportLog.imported_by_email,
                ImportLog.imported_by_role,
            ).order_by(ImportLog.id)
        ).all()
    assert rows == [
        (
            "Anna.Berger@jobcenter.example",
            "f3a1-anna",
            "Anna.Berger@jobcenter.example",
            DATA_STEWARD,
        ),
        ("ute", None, None, None),  # the command line keeps the OS user
        ("Weboberfläche (ohne Anmeldung)", None, None, DATA_STEWARD),
    ]
    log = import_log(engine)
    assert log["imported_by_subject"].to_list() == [None, None, "f3a1-anna"]


# --- Settings --------------------------------------------------------------------------------


def test_role_settings_from_environment_and_secrets(tmp_path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        'role_source = "claim"\nrole_claim = "roles"\nanonymous_imports = true\n'
        '[role_mapping]\n"/Teilhabe/Daten" = "datenverantwortung"\n',
        encoding="utf-8",
    )
    settings = Settings.load(environ={}, secrets_file=secrets)
    assert (settings.role_source, settings.role_claim, settings.anonymous_imports) == (
        "claim",
        "roles",
        True,
    )
    assert settings.role_mapping == (("/Teilhabe/Daten", DATA_STEWARD),)
    default = Settings.load(environ={}, secrets_file=tmp_path / "none.toml")
    assert (default.role_source, default.role_claim, default.anonymous_imports) == (
        "table",
        "groups",
        False,
    )
    env = Settings.load(
        environ={"TEILHABE_ROLE_MAPPING": "a=betrachter, b=c=administration"},
        secrets_file=tmp_path / "none.toml",
    )
    assert env.role_mapping == (("a", VIEWER), ("b=c", ADMINISTRATOR))


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TEILHABE_ROLE_SOURCE": "ldap"}, "TEILHABE_ROLE_SOURCE"),
        ({"TEILHABE_ROLE_MAPPING": "gruppe=chef"}, "Rolle 'chef'"),
        ({"TEILHABE_ROLE_MAPPING": "ohne-rolle"}, "kein Paar"),
        ({"TEILHABE_ANONYMOUS_IMPORTS": "vielleicht"}, "TEILHABE_ANONYMOUS_IMPORTS"),
    ],
)
def test_wrong_role_settings_fail_with_a_message(tmp_path, environ, message) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.load(environ=environ, secrets_file=tmp_path / "none.toml")


# --- teilhabe users --------------------------------------------------------------------------


def test_users_command_adds_lists_and_removes(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert main(["db", "upgrade", "--database-url", url]) == 0
    capsys.readouterr()
    assert main(["users", "add", "Anna.Berger@Jobcenter.example", "--role", "datenverantwortung",
                 "--database-url", url]) == 0  # fmt: skip
    assert "Rolle datenverantwortung (Datenverantwortung) vergeben" in capsys.readouterr().out
    assert (
        main(["users", "add", "f3a1-anna", "--role", "administration", "--database-url", url]) == 0
    )
    assert main(["users", "list", "--database-url", url]) == 0
    lines = capsys.readouterr().out.splitlines()[-2:]
    assert lines[0].startswith("anna.berger@jobcenter.example\tdatenverantwortung\t(seit ")
    assert lines[1].startswith("f3a1-anna\tadministration\t(seit ")
    assert main(["users", "remove", "f3a1-anna", "--database-url", url]) == 0
    assert main(["users", "remove", "f3a1-anna", "--database-url", url]) == 2
    assert "steht nicht in der Rollentabelle" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["users", "add", "x@example.org", "--role", "chef", "--database-url", url])


def test_the_readme_example_of_the_secrets_is_valid(tmp_path) -> None:
    """The Keycloak example in the README: valid TOML, roles mapped, [auth] complete."""
    import re
    import tomllib

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    example = next(b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if "[auth]" in b)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(example, encoding="utf-8")
    settings = Settings.load(environ={}, secrets_file=secrets)
    assert settings.role_source == "claim" and settings.role_claim == "groups"
    assert dict(settings.role_mapping)["/Teilhabe-Monitor/Datenverantwortung"] == DATA_STEWARD
    section = tomllib.loads(example)["auth"]
    assert set(section) == {
        "redirect_uri",
        "cookie_secret",
        "client_id",
        "client_secret",
        "server_metadata_url",
    }
    assert section["redirect_uri"].endswith("/oauth2callback")


def test_a_directory_import_is_logged_with_the_person(demo_engine, tmp_path) -> None:
    """The HSDS import names who changed the provider directory, like a file import."""
    import sqlite3

    target = tmp_path / "copy.sqlite"
    source = sqlite3.connect(make_url(str(demo_engine.url)).database)
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    engine = create_db_engine(make_url(f"sqlite:///{target}"))
    package = tmp_path / "paket"
    export_hsds(engine, package)
    report = import_hsds(engine, package, actor=person(DATA_STEWARD))
    log = import_log(engine)
    engine.dispose()
    assert report.changes == [] and log.height == 1
    row = log.row(0, named=True)
    assert (row["table_name"], row["file_name"], row["imported_by_subject"]) == (
        "hsds",
        "paket",
        "f3a1-anna",
    )
    assert (row["imported_by"], row["imported_by_role"]) == (ANNA["email"], DATA_STEWARD)
    assert len(row["file_sha256"]) == 64 and row["data_version"] is None  # nothing changed
    assert row["added"] == row["updated"] == 0 and row["unchanged"] == row["rows"] > 0


def test_migration_0004_keeps_the_import_log_and_adds_the_role_table(tmp_path) -> None:
    from alembic import command
    from sqlalchemy import inspect, text

    from data_access.db import _alembic_config, current_revision, head_revision, upgrade_schema

    engine = create_db_engine(make_url(f"sqlite:///{tmp_path / 'old.sqlite'}"))
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0002")
        connection.execute(
            text(
                "INSERT INTO import_log (imported_at, table_name, file_name, file_sha256, rows, "
                "added, updated, unchanged, imported_by) VALUES ('2026-11-01 10:00:00', "
                "'client', 'p.csv', 'ab', 2, 2, 0, 0, 'Weboberfläche')"
            )
        )
    assert "app_user" not in inspect(engine).get_table_names()
    upgrade_schema(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(
            text("SELECT imported_by, imported_by_subject, imported_by_role FROM import_log")
        ).all() == [("Weboberfläche", None, None)]
    assert auth.list_users(engine) == []
    engine.dispose()
