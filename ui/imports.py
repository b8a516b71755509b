"""The Daten page's access to the data layer: imports, templates, import log, data quality.

Checking an upload is cached per data version, table and file content, so the report does not
run again on every rerun; an import gives the data a new version, and with it every cache of the
app (keyed on the version) and the Parquet case copy refresh without a restart.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from data_access import auth as access
from data_access.auth import ROLE_LABELS, Actor, PermissionDenied
from data_access.db import DatabaseUnavailable, SchemaOutdated
from data_access.settings import ConfigurationError
from teilhabe import figures, quality
from teilhabe.exchange import core, templates
from teilhabe.exchange import tabular as imports
from teilhabe.exchange.core import TableImportReport, failure_message
from teilhabe.exchange.report import ImportReport, Problem
from teilhabe.exchange.source import Limits
from teilhabe.exchange.tables import TABLES
from teilhabe.protection import Protection
from teilhabe.reporting.formatting import format_count
from teilhabe.reporting.safe_text import spreadsheet_text
from teilhabe.reporting.text import markdown_text
from ui import auth, data
from ui.data import Dataset

TABLE_LABELS: dict[str, str] = {name: spec.label for name, spec in TABLES.items()}
LOG_LABELS = {  # other imports in the log
    **TABLE_LABELS,
    "hsds": "Anbieterverzeichnis (HSDS)",
    "municipality_boundary": "Gemeindegrenzen",  # logged by ``teilhabe boundaries import``
}
TABLE_DESCRIPTIONS: dict[str, str] = {name: spec.description for name, spec in TABLES.items()}
UPLOAD_TYPES = ["csv", "txt", "tsv", "xlsx", "xlsm", "xls", "ods", "parquet"]
CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROBLEM_HEADERS = {
    "file": "Datei",
    "row": "Zeile",
    "field": "Spalte",
    "value": "Wert",
    "message": "Problem",
}


def loaded_dataset() -> Dataset | None:
    """The loaded data set, or None while the database holds no benefit data yet.

    Unlike ``data.dataset`` this does not stop the page on an empty database: the Daten page is
    where the first data come in. An unusable database still stops it with its message.
    """
    try:
        empty = figures.data_as_of(engine=data._engine()) is None
    except (ConfigurationError, DatabaseUnavailable, SchemaOutdated):
        empty = False  # data.dataset() shows the message and stops
    return None if empty else data.dataset(figures_about_persons=False)


def data_version() -> str:
    return figures.dataset_info(engine=data._engine()).get("data_version", "")


# --- Checking and importing ------------------------------------------------------------------


def file_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def actor() -> Actor | None:
    """The person on the page (see ``ui.auth.current_actor``)."""
    return auth.current_actor()


def _person(action: str) -> Actor:
    """The person on the page; ``PermissionDenied`` when nobody is logged in (``action`` names
    what was refused, as the data layer words it)."""
    person = actor()
    if person is None:
        raise PermissionDenied(f"{action} ist ohne angemeldete Person mit Rolle nicht erlaubt.")
    return person


def _local_time(value: object) -> str:
    """A UTC time of the database as local time, ``24.09.2013 14:05``."""
    if not isinstance(value, dt.datetime):
        return ""
    return value.replace(tzinfo=dt.UTC).astimezone(LOCAL_TIME).strftime("%d.%m.%Y %H:%M")


def may_import(person: Actor | None) -> bool:
    return auth.may_import(person)


def login_configured() -> bool:
    return auth.login_configured()


def max_upload_mb() -> int:
    """The largest file the uploader accepts, in MB (``server.maxUploadSize``)."""
    return int(st.get_option("server.maxUploadSize"))


def limits() -> Limits:
    """The import limits of the settings (rows, unpacked size of workbooks, ...)."""
    return Limits.from_settings(data.settings())


def limits_text() -> str:
    """The limits of an upload in German, for the page: size, rows, columns, workbooks."""
    return f"Höchstens {max_upload_mb()} MB je Datei; {limits().describe()}."


def check_upload(table: str, name: str, content: bytes) -> TableImportReport:
    """What an import would do. Only for a person who may import (``PermissionDenied``
    otherwise, before anything is read); the result is cached per data version, table and
    file (by its hash)."""
    person = actor()
    if person is None or not may_import(person):
        raise PermissionDenied(
            "Das Prüfen von Dateien ist der Rolle „Datenverantwortung“ vorbehalten."
        )
    return _check_upload(data_version(), table, name, file_hash(content), content, person)


@st.cache_data(show_spinner="Datei wird geprüft …", max_entries=20)
def _check_upload(
    version: str, table: str, name: str, sha256: str, _content: bytes, _actor: Actor
) -> TableImportReport:
    return imports.validate(
        data._engine(), table, _content, name=name, actor=_actor, limits=limits()
    )


def run_import(table: str, name: str, content: bytes) -> TableImportReport:
    """Import for real, as the person on the page (the data layer refuses without the role);
    never cached. A refusal or a database error is returned as the report's problem (nothing
    was written)."""
    try:
        report = imports.import_table(
            data._engine(),
            table,
            content,
            name=name,
            actor=_person("Der Import von Dateien"),
            limits=limits(),
        )
        if report.ok and report.changed:
            data.refresh_store()  # every app process shows the new Datenstand from then on
        return report
    except (SQLAlchemyError, PermissionDenied) as error:
        report = TableImportReport(table, name, file_hash(content), "")
        message = str(error) if isinstance(error, PermissionDenied) else failure_message(error)
        report.problems.append(Problem(name, None, None, None, message))
        return report


def problems_frame(report: ImportReport) -> pl.DataFrame:
    """The report's problems with German headers, one row each, as the page shows them."""
    return pl.DataFrame(
        [
            {
                "Datei": p.file,
                "Zeile": "" if p.row is None else format_count(p.row),
                "Spalte": p.field or "",
                "Wert": p.value or "",
                "Problem": p.message,
            }
            for p in report.problems
        ],
        schema={header: pl.String for header in PROBLEM_HEADERS.values()},
    )


def problems_csv(report: ImportReport) -> bytes:
    """The problems as a CSV file German Excel opens (semicolon, UTF-8 with BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    frame = problems_frame(report)
    writer.writerow(frame.columns)
    writer.writerows([spreadsheet_text(v) for v in row] for row in frame.iter_rows())
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def counts_text(report: ImportReport) -> str:
    """The counts of a report: ``2 neu, 0 geändert, 5 unverändert`` for one table, each with
    its label for several."""
    if len(report.counts) == 1:
        return next(iter(report.counts.values())).text()
    return "; ".join(
        f"{report.labels.get(table, table)}: {counts.text()}"
        for table, counts in report.counts.items()
    )


def show_check(report: ImportReport, file_name: str, what: str) -> None:
    """The Daten page's view of a checked file (any import's report): its problems as a table
    with a CSV download, or what the import would do; then the notes. ``what`` names the
    target (``für Personen: 12 Zeilen``)."""
    if report.problems:
        count = len(report.problems)
        st.error(
            f"**{markdown_text(file_name)}** für {what}: {format_count(count)} "
            f"{'Problem' if count == 1 else 'Probleme'}. So wird die Datei nicht importiert; "
            "die Datenbank bleibt unverändert. Bitte die Datei korrigieren und erneut "
            "hochladen.",
            icon=":material/error:",
        )
        st.dataframe(problems_frame(report), hide_index=True, key="import_problems")
        st.download_button(
            "Prüfbericht (CSV)",
            data=problems_csv(report),
            file_name="pruefbericht.csv",
            mime=CSV_MIME,
            key="problems_csv",
            icon=":material/download:",
            on_click="ignore",
        )
    else:
        rows = report.rows if isinstance(report, TableImportReport) else None
        checked = (
            f"{format_count(rows)} {'Zeile' if rows == 1 else 'Zeilen'} geprüft"
            if rows is not None
            else "geprüft"
        )
        st.success(
            f"**{markdown_text(file_name)}** für {what}: {checked}, keine Probleme. Beim "
            f"Import: {counts_text(report)}.",
            icon=":material/fact_check:",
        )
    for note in report.notes:
        st.caption(markdown_text(note))


# --- Templates -------------------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def template_csv(table: str) -> bytes:
    return templates.template_csv(table)


@st.cache_data(show_spinner=False)
def template_xlsx(table: str) -> bytes:
    return templates.template_xlsx(table)


@st.cache_data(show_spinner=False)
def column_guide(table: str) -> pl.DataFrame:
    return templates.column_guide(table)


def template_name(table: str, suffix: str) -> str:
    return templates.template_name(table, suffix)


# --- Import log ------------------------------------------------------------------------------

try:
    LOCAL_TIME: dt.tzinfo = ZoneInfo("Europe/Berlin")
except ZoneInfoNotFoundError:  # no time zone data on this machine: show UTC
    LOCAL_TIME = dt.UTC


def import_log() -> pl.DataFrame:
    """The newest imports first, for display (not cached: an import that changed nothing adds
    a line without changing the data version)."""
    log = core.import_log(data._engine())
    zone = "MEZ/MESZ" if LOCAL_TIME is not dt.UTC else "UTC"
    return pl.DataFrame(
        {
            f"Zeitpunkt ({zone})": [
                t.replace(tzinfo=dt.UTC).astimezone(LOCAL_TIME).strftime("%d.%m.%Y %H:%M")
                for t in log["imported_at"].to_list()
            ],
            "von": [v or "unbekannt" for v in log["imported_by"].to_list()],
            "Rolle": [ROLE_LABELS.get(v, "") if v else "" for v in log["imported_by_role"]],
            "Tabelle": [LOG_LABELS.get(t, t) for t in log["table_name"].to_list()],
            "Datei": log["file_name"].to_list(),
            "Zeilen": [format_count(v) for v in log["rows"].to_list()],
            "neu": [format_count(v) for v in log["added"].to_list()],
            "geändert": [format_count(v) for v in log["updated"].to_list()],
            "unverändert": [format_count(v) for v in log["unchanged"].to_list()],
            "Kennung (OIDC)": [v or "" for v in log["imported_by_subject"].to_list()],
            "SHA-256": log["file_sha256"].to_list(),
            "Datenstand-Version": [v or "(keine Änderung)" for v in log["data_version"].to_list()],
        },
        schema_overrides={"Datei": pl.String, "SHA-256": pl.String},
    )


def latest_import_line(log: pl.DataFrame) -> str:
    """Who imported what and when, last time: one German sentence over ``import_log()``."""
    latest = log.row(0, named=True)
    when = next(value for key, value in latest.items() if key.startswith("Zeitpunkt"))
    role = f" (Rolle {latest['Rolle']})" if latest["Rolle"] else ""
    return (
        f"Letzter Import: **{markdown_text(latest['Datei'])}** in "
        f"{markdown_text(latest['Tabelle'])} am {markdown_text(when)} "
        f"von **{markdown_text(latest['von'])}**{markdown_text(role)}."
    )


# --- Roles (for the administration) ---------------------------------------------------------


def may_manage_users(person: Actor | None) -> bool:
    return auth.may_manage_users(person)


def role_options() -> dict[str, str]:
    """Role → German label, in increasing rights."""
    return dict(ROLE_LABELS)


def role_source() -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """Where roles come from: ("table" | "claim", the claim, the group → role mapping)."""
    settings = data.settings()
    return settings.role_source, settings.role_claim, settings.role_mapping


def users() -> pl.DataFrame:
    """The role table for display: identity, role, since (local time), by whom."""
    rows = access.list_users(data._engine())
    return pl.DataFrame(
        {
            "Kennung": [str(r["identity"]) for r in rows],
            "Rolle": [ROLE_LABELS.get(str(r["role"]), str(r["role"])) for r in rows],
            "seit": [_local_time(r["added_at"]) for r in rows],
            "vergeben von": [r["added_by"] or "" for r in rows],
        },
        schema={
            "Kennung": pl.String,
            "Rolle": pl.String,
            "seit": pl.String,
            "vergeben von": pl.String,
        },
    )


def identities() -> list[str]:
    return [str(r["identity"]) for r in access.list_users(data._engine())]


def give_role(identity: str, role: str) -> tuple[bool, str]:
    """Give ``identity`` the role as the person on the page; (ok, German message)."""
    try:
        changed = access.add_user(
            data._engine(), identity, role, actor=_person("Das Vergeben von Rollen")
        )
    except (PermissionDenied, ValueError) as error:
        return False, str(error)
    name = identity.strip()
    if not changed:
        return True, f"{name} hatte die Rolle „{ROLE_LABELS[role]}“ schon."
    return True, f"{name} hat jetzt die Rolle „{ROLE_LABELS[role]}“."


def take_role(identity: str) -> tuple[bool, str]:
    """Take the role of ``identity`` away as the person on the page; (ok, German message)."""
    try:
        removed = access.remove_user(
            data._engine(), identity, actor=_person("Das Entziehen von Rollen")
        )
    except (PermissionDenied, ValueError) as error:
        return False, str(error)
    if not removed:
        return False, f"{identity} steht nicht in der Rollentabelle."
    return True, f"{identity} hat keine Rolle mehr."


def give_role_request() -> None:
    """Callback of the form "Rolle vergeben" (widgets ``role_identity``, ``role_new``)."""
    state = st.session_state
    state["role_message"] = give_role(state.get("role_identity", ""), state.get("role_new", ""))


def take_role_request() -> None:
    """Callback of the button "Rolle entziehen" (widget ``role_remove_identity``)."""
    state = st.session_state
    state["role_message"] = take_role(state.get("role_remove_identity", ""))


# --- Data quality ----------------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def table_overview(version: str) -> pl.DataFrame:
    """Cached per data version: rows per table and the range of its main date."""
    return quality.table_overview(engine=data._engine())


@st.cache_data(show_spinner=False)
def missing_values(version: str, protection: Protection) -> pl.DataFrame:
    """Cached per data version: empty optional fields per table and column."""
    return quality.missing_values(engine=data._engine(), protection=protection)


@st.cache_data(show_spinner=False)
def gaps(version: str, protection: Protection) -> pl.DataFrame:
    """Cached per data version: records without their counterpart, dangling references."""
    return quality.gaps(engine=data._engine(), protection=protection)


@st.cache_data(show_spinner=False)
def data_state(version: str) -> dict[str, object]:
    """Cached per data version: as-of month, whether recorded, data version, synthetic."""
    return quality.data_state(engine=data._engine())


def protection() -> Protection:
    return Protection.configured(data.settings())
