"""Importing files into the tables of the data model: read, check everything, then upsert.

A Jobcenter gets its data as files: exports of its case software, spreadsheets of the network
coordinator, lists from providers. This module takes one file for one table and

1. reads it as people really have it (``read_file``): CSV with comma, semicolon, tab or "|",
   UTF-8 with or without BOM, Windows-1252 or UTF-16 (Excel's "Unicode text"), quoted fields,
   an Excel ``sep=`` line; Excel workbooks (first sheet); Parquet. Every value is read as text
   first, so that German dates (24.09.2013), decimal commas (48,68) and Excel's number cells
   (8135019 for the AGS 08135019) are interpreted the same way whatever the format. A file
   beyond the ``Limits`` (size, data rows, header columns; a workbook's zip archive unpacked
   piece by piece against its unpacked size, packing ratio, entries and cells) is refused with
   one German problem as soon as that is known, before it is parsed in full; a CSV is parsed
   as a stream and never held as text;
2. checks all of it before anything is written (``validate``): columns (matched
   case-insensitively, German headers and a few common spellings accepted), types, required
   fields, allowed codes (barrier catalogue, service categories, ...), keys (AGS with 8 digits),
   dates in range, references to rows that exist (in the database; a referral to an unknown
   service), duplicates of the natural key in the file, overlapping benefit spells. Every problem
   is reported with file, row (the header is row 1 in CSV and Excel; Parquet rows count from 1),
   column, value and a German message;
3. upserts by the table's natural key in ONE transaction (``import_table``): new rows are added,
   changed rows updated, nothing is deleted. Either the whole file lands or nothing changes, also
   when the process dies in the middle. Importing the same file twice changes nothing the second
   time. Columns missing from the file keep their values in existing rows.

Benefit spells get their derived month columns (``data_access.receipt.prepare_spells``) and the
LZB start of every spell of the clients concerned is recomputed; integrations get their month.
A real import is recorded in ``import_log``; when it changed data, ``dataset_info`` gets a new
``data_version`` (caches and the Parquet case copy are keyed on it, so the app shows the new data
without a restart), and an import of client-level data marks the data set as not synthetic.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError

from data_access.auth import DATA_STEWARD, Actor, require_role
from data_access.models import (
    Barrier,
    BarrierAssessment,
    Base,
    BenefitSpell,
    Client,
    DatasetInfo,
    District,
    ImportLog,
    Integration,
    Municipality,
    MunicipalityPopulation,
    NetworkEvent,
    NetworkEventProvider,
    Provider,
    Referral,
    Service,
    ServiceArea,
    ServiceCategory,
    ServiceCategoryBarrier,
)
from data_access.periods import month_index
from data_access.receipt import prepare_spells
from teilhabe.definitions import (
    BARRIERS,
    INTEGRATION_KINDS,
    PROVIDER_KINDS,
    REFERRAL_STATUSES,
    SERVICE_CATEGORIES,
    SEXES,
)

DATE_MIN = dt.date(1950, 1, 1)
DATE_MAX = dt.date(2099, 12, 31)  # hard bound; plausible dates end FUTURE_YEARS after today
FUTURE_YEARS = 5  # a date more than this many years after the current year is implausible
LOOKUP_CHUNK = 500  # values per IN (...) when looking rows up
WRITE_CHUNK = 2_000  # rows per statement when writing


# --- Problems and reports --------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (file, row, column), the value, and what, in German."""

    file: str
    row: int | None  # CSV/Excel: the header is row 1, the first data row 2; Parquet: from 1
    column: str | None  # the column's header as in the file (or the template's header)
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", Zeile {self.row}"
        if self.column is not None:
            where += f", Spalte {self.column}"
        if self.value is not None:
            where += f", Wert „{_shorten(self.value)}“"
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    """What an import found and did. ``problems`` non-empty: nothing was written."""

    table: str
    file_name: str
    sha256: str
    file_format: str
    dry_run: bool
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    changed: bool = False  # whether the import changed the data (never on a dry run)
    data_version: str | None = None
    log_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def label(self) -> str:
        return TABLES[self.table].label

    def counts_line(self) -> str:
        return (
            f"{self.label}: {_count(self.added)} neu, {_count(self.updated)} geändert, "
            f"{_count(self.unchanged)} unverändert."
        )

    def failure_line(self) -> str:
        count = "1 Problem" if len(self.problems) == 1 else f"{_count(len(self.problems))} Probleme"
        return (
            f"Die Datei {self.file_name} wurde nicht importiert ({count}); die Datenbank ist "
            "unverändert."
        )

    def lines(self) -> list[str]:
        """The German report: on problems, the failure line and every problem; else the counts."""
        if self.problems:
            return [self.failure_line(), *(f"  - {p}" for p in self.problems)]
        lines = [
            f"{self.file_name} ({self.file_format}) geprüft: {_count(self.rows)} "
            f"{'Zeile' if self.rows == 1 else 'Zeilen'} für {self.label}, keine Probleme.",
            self.counts_line(),
            *(f"Hinweis: {note}" for note in self.notes),
        ]
        if self.dry_run:
            lines.append("Probelauf (--dry-run): Die Datenbank wurde nicht verändert.")
        elif self.changed:
            lines.append(
                f"Importiert (Importprotokoll Nr. {self.log_id}); neuer Datenstand "
                f"{self.data_version}."
            )
        else:
            lines.append(
                f"Nichts zu ändern: Die Datenbank war schon auf dem Stand der Datei "
                f"(Importprotokoll Nr. {self.log_id})."
            )
        return lines


class UnknownTable(ValueError):
    """The table name is none of the importable tables."""


def failure_message(error: Exception) -> str:
    """One German line for a database error while importing (nothing was written)."""
    cause = str(getattr(error, "orig", None) or error).strip().splitlines()
    return (
        "Der Import ist an der Datenbank gescheitert"
        + (f" ({cause[0]})" if cause else "")
        + "; es wurde nichts geschrieben."
    )


def _count(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _date_text(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _shorten(text: str, limit: int = 80) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- Table specs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    """One importable column: its model column, German header, type and rules.

    ``kind``: text, email, url (http or https), integer, number, date, boolean, code (one of
    ``codes`` or of the database's ``catalogue``), or list (several values in one cell,
    separated by comma, semicolon or space, stored in a link table). ``default`` (a value, or a
    function of the row's values) fills the column for new rows when the file does not have
    the column; existing rows keep their value then.
    """

    name: str
    header: str
    kind: str = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    codes: Mapping[str, str] | None = None
    catalogue: str | None = None  # "barrier" or "service_category"
    synonyms: Mapping[str, str] = field(default_factory=dict)
    reference: tuple[str, str] | None = None  # (table, column) the value must exist in
    digits: int | None = None  # a key of exactly this many digits (leading zeros restored)
    low: float | None = None
    high: float | Callable[[], float] | None = None
    earliest: dt.date = DATE_MIN
    latest: dt.date | None = None  # None: 31.12. of the year FUTURE_YEARS after today's
    not_in_future: bool = False
    default: object = None
    example: object = None
    note: str = ""


@dataclass(frozen=True)
class LinkSpec:
    """A list column stored as rows of a link table: (owner column, value column)."""

    model: type
    owner: str
    value: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    label: str  # German, plural
    model: type
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    personal: bool = False  # client-level (social) data
    links: Mapping[str, LinkSpec] = field(default_factory=dict)
    description: str = ""

    @property
    def table(self):
        return self.model.__table__

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)

    @property
    def key_label(self) -> str:
        names = [self.column(k).header if k != "month" else "Monat" for k in self.key]
        return " und ".join(names)

    def max_length(self, name: str) -> int | None:
        if name not in self.table.c:
            return None
        return getattr(self.table.c[name].type, "length", None)


def latest_date() -> dt.date:
    """The last plausible date of an import: 31.12. of the year FUTURE_YEARS from now."""
    return min(DATE_MAX, dt.date(dt.date.today().year + FUTURE_YEARS, 12, 31))


def _this_year() -> float:
    return float(dt.date.today().year)


def _ags(name: str, *, reference: bool = True, example: str = "08135019") -> ColumnSpec:
    return ColumnSpec(
        name,
        "Gemeindeschlüssel",
        required=True,
        aliases=(name, "ags", "amtlicher gemeindeschlüssel", "gemeindekennziffer", "gkz"),
        reference=("municipality", "ags") if reference else None,
        digits=8,
        example=example,
        note="Amtlicher Gemeindeschlüssel (AGS), 8 Ziffern.",
    )


def _client_ref() -> ColumnSpec:
    return ColumnSpec(
        "client_id",
        "Personen-ID",
        required=True,
        aliases=("client_id", "person", "pseudonym", "personen id"),
        reference=("client", "id"),
        example="P-0001",
        note="Pseudonym der Person wie in der Tabelle Personen.",
    )


def _latitude(required: bool) -> ColumnSpec:
    return ColumnSpec(
        "lat",
        "Breitengrad",
        "number",
        required=required,
        aliases=("lat", "breite", "latitude", "geografische breite"),
        low=47.0,
        high=55.5,
        example=48.6767,
        note="WGS 84 in Dezimalgrad (Deutschland: 47 bis 55,5).",
    )


def _longitude(required: bool) -> ColumnSpec:
    return ColumnSpec(
        "lon",
        "Längengrad",
        "number",
        required=required,
        aliases=("lon", "länge", "longitude", "lng", "geografische länge"),
        low=5.5,
        high=15.5,
        example=10.1522,
        note="WGS 84 in Dezimalgrad (Deutschland: 5,5 bis 15,5).",
    )


BARRIER_LABELS = {b.code: b.label for b in BARRIERS}
CATEGORY_LABELS = {c.code: c.label for c in SERVICE_CATEGORIES}
SEX_SYNONYMS = {
    "w": "f",
    "weiblich": "f",
    "frau": "f",
    "female": "f",
    "männlich": "m",
    "mann": "m",
    "male": "m",
    "divers": "d",
    "diverse": "d",
    "x": "d",
}
INTEGRATION_SYNONYMS = {
    "beschäftigung": "employment",
    "sozialversicherungspflichtige beschäftigung": "employment",
    "svb": "employment",
    "ausbildung": "training",
    "selbstständigkeit": "self_employment",
    "selbständig": "self_employment",
    "selbstständig": "self_employment",
}
STATUS_SYNONYMS = {"aktiv": "active", "beendet": "completed", "abbruch": "cancelled"}


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "district",
            "Kreise",
            District,
            ("key",),
            (
                ColumnSpec(
                    "key",
                    "Kreisschlüssel",
                    required=True,
                    aliases=("key", "district_key", "kreiskennziffer", "kreis id"),
                    digits=5,
                    example="08135",
                    note="Fünfstelliger Schlüssel des Kreises oder der kreisfreien Stadt.",
                ),
                ColumnSpec(
                    "name",
                    "Kreis",
                    required=True,
                    aliases=("name", "kreisname", "landkreis"),
                    example="Landkreis Heidenheim",
                ),
                ColumnSpec(
                    "jobcenter_name",
                    "Jobcenter",
                    required=True,
                    aliases=("jobcenter_name", "name des jobcenters"),
                    example="Jobcenter Landkreis Heidenheim",
                ),
            ),
            description="Kreise und ihre Jobcenter; vor den Gemeinden zu importieren.",
        ),
        TableSpec(
            "municipality",
            "Gemeinden",
            Municipality,
            ("ags",),
            (
                _ags("ags", reference=False),
                ColumnSpec(
                    "district_key",
                    "Kreisschlüssel",
                    aliases=("district_key", "kreiskennziffer"),
                    reference=("district", "key"),
                    digits=5,
                    default=lambda row: str(row.get("ags") or "")[:5] or None,
                    example="08135",
                    note="Fehlt die Spalte, gelten die ersten 5 Ziffern des AGS.",
                ),
                ColumnSpec(
                    "name",
                    "Gemeinde",
                    required=True,
                    aliases=("name", "gemeindename", "gen"),
                    example="Heidenheim an der Brenz",
                ),
                ColumnSpec(
                    "kind",
                    "Art",
                    aliases=("kind", "gemeindeart", "typ"),
                    default="Gemeinde",
                    example="Stadt",
                    note="z. B. Stadt oder Gemeinde (Standard: Gemeinde).",
                ),
                ColumnSpec(
                    "population",
                    "Einwohner",
                    "integer",
                    required=True,
                    aliases=("population", "einwohnerzahl", "bevölkerung", "ew"),
                    low=0,
                    high=10_000_000,
                    example=49526,
                ),
                ColumnSpec(
                    "population_date",
                    "Stand Einwohnerzahl",
                    "date",
                    required=True,
                    aliases=("population_date", "stichtag einwohner", "einwohner stand"),
                    earliest=dt.date(1900, 1, 1),
                    not_in_future=True,
                    example=dt.date(2012, 12, 31),
                ),
                _latitude(required=True),
                _longitude(required=True),
            ),
            description="Gemeinden mit Einwohnerzahl und Ortsmitte (für die Karte).",
        ),
        TableSpec(
            "municipality_population",
            "Einwohnerzahlen",
            MunicipalityPopulation,
            ("ags", "reference_date"),
            (
                _ags("ags"),
                ColumnSpec(
                    "reference_date",
                    "Stand Einwohnerzahl",
                    "date",
                    required=True,
                    aliases=("reference_date", "population_date", "stichtag einwohner", "stand"),
                    earliest=dt.date(1900, 1, 1),
                    not_in_future=True,
                    example=dt.date(2012, 12, 31),
                ),
                ColumnSpec(
                    "population",
                    "Einwohner",
                    "integer",
                    required=True,
                    aliases=("population", "einwohnerzahl", "bevölkerung", "ew"),
                    low=0,
                    high=10_000_000,
                    example=46140,
                ),
            ),
            description="Weitere Einwohnerzahlen der Gemeinden mit ihrem Stand (z. B. zum "
            "Stichtag der Daten); Werte je 1.000 Einwohner nehmen die Zahl mit dem Stand, der "
            "dem Stichtag am nächsten liegt.",
        ),
        TableSpec(
            "provider",
            "Anbieter",
            Provider,
            ("id",),
            (
                ColumnSpec(
                    "id",
                    "Anbieter-ID",
                    required=True,
                    aliases=("id", "provider_id", "träger id", "träger-id"),
                    example="A-001",
                ),
                ColumnSpec(
                    "name",
                    "Name",
                    required=True,
                    aliases=("anbieter", "träger", "bezeichnung", "name des anbieters"),
                    example="Beispiel-Bildungswerk gGmbH",
                ),
                ColumnSpec(
                    "kind",
                    "Art",
                    "code",
                    required=True,
                    aliases=("kind", "art des anbieters", "trägerart", "typ"),
                    codes=PROVIDER_KINDS,
                    example="Bildungsträger",
                ),
                ColumnSpec(
                    "street", "Straße", aliases=("street", "anschrift"), example="Hauptstraße 1"
                ),
                ColumnSpec(
                    "postcode",
                    "PLZ",
                    aliases=("postcode", "postleitzahl"),
                    digits=5,
                    example="89522",
                ),
                ColumnSpec(
                    "city", "Ort", aliases=("city", "stadt"), example="Heidenheim an der Brenz"
                ),
                _ags("municipality_ags"),
                _latitude(required=False),
                _longitude(required=False),
                ColumnSpec(
                    "email",
                    "E-Mail",
                    kind="email",
                    aliases=("email", "mail"),
                    example="info@example.org",
                    note="Eine E-Mail-Adresse wie info@beispiel.de.",
                ),
                ColumnSpec(
                    "phone",
                    "Telefon",
                    aliases=("phone", "telefonnummer", "tel"),
                    example="07321 000000",
                ),
                ColumnSpec(
                    "website",
                    "Website",
                    kind="url",
                    aliases=("website", "internet", "homepage", "webseite", "url"),
                    example="https://www.example.org",
                    note="Adresse mit http:// oder https://.",
                ),
            ),
            description="Träger, Beratungsstellen und Behörden im Netzwerk.",
        ),
        TableSpec(
            "service",
            "Leistungen",
            Service,
            ("id",),
            (
                ColumnSpec(
                    "id",
                    "Leistungs-ID",
                    required=True,
                    aliases=("id", "service_id", "angebots id"),
                    example="L-001",
                ),
                ColumnSpec(
                    "provider_id",
                    "Anbieter-ID",
                    required=True,
                    aliases=("provider_id", "träger id"),
                    reference=("provider", "id"),
                    example="A-001",
                ),
                ColumnSpec(
                    "name",
                    "Leistung",
                    required=True,
                    aliases=("name", "bezeichnung", "angebot"),
                    example="Schuldnerberatung für Arbeitsuchende",
                ),
                ColumnSpec(
                    "category_code",
                    "Leistungskategorie",
                    "code",
                    required=True,
                    aliases=("category_code", "kategorie"),
                    catalogue="service_category",
                    example="Schuldnerberatung",
                ),
                ColumnSpec(
                    "capacity",
                    "Plätze",
                    "integer",
                    aliases=("capacity", "kapazität", "anzahl plätze"),
                    low=0,
                    high=1_000_000,
                    example=40,
                ),
                ColumnSpec(
                    "labour_market_measure",
                    "Arbeitsmarktmaßnahme",
                    "boolean",
                    aliases=("labour_market_measure", "maßnahme", "aktive arbeitsmarktmaßnahme"),
                    default=False,
                    example=False,
                    note="ja: aktive Arbeitsmarktmaßnahme im Sinne der Kennzahl K3E2.",
                ),
                ColumnSpec(
                    "active_from",
                    "Angeboten ab",
                    "date",
                    required=True,
                    aliases=("active_from", "gültig ab", "beginn", "von"),
                    example=dt.date(2010, 1, 1),
                ),
                ColumnSpec(
                    "active_to",
                    "Angeboten bis",
                    "date",
                    aliases=("active_to", "gültig bis", "ende", "bis"),
                    example=None,
                    note="Leer: unbefristet.",
                ),
                ColumnSpec(
                    "areas",
                    "Versorgungsgebiet",
                    "list",
                    aliases=("areas", "service_area", "gemeinden", "versorgungsgebiet ags"),
                    reference=("municipality", "ags"),
                    digits=8,
                    example=["08135019"],
                    note="Gemeindeschlüssel der Gemeinden, für die die Leistung offen ist, "
                    "getrennt durch Komma; ersetzt die bisherigen Gemeinden der Leistung.",
                ),
            ),
            links={"areas": LinkSpec(ServiceArea, "service_id", "municipality_ags")},
            description="Leistungen der Anbieter mit Kategorie, Zeitraum und Versorgungsgebiet.",
        ),
        TableSpec(
            "client",
            "Personen",
            Client,
            ("id",),
            (
                ColumnSpec(
                    "id",
                    "Personen-ID",
                    required=True,
                    aliases=("id", "client_id", "pseudonym", "personen id"),
                    example="P-0001",
                    note="Pseudonym, nie Name oder Kundennummer.",
                ),
                _ags("municipality_ags"),
                ColumnSpec(
                    "sex",
                    "Geschlecht",
                    "code",
                    required=True,
                    aliases=("sex",),
                    codes=SEXES,
                    synonyms=SEX_SYNONYMS,
                    example="w",
                    note="w (oder f), m, d.",
                ),
                ColumnSpec(
                    "birth_year",
                    "Geburtsjahr",
                    "integer",
                    required=True,
                    aliases=("birth_year", "jahrgang"),
                    low=1900,
                    high=_this_year,
                    example=1975,
                ),
                ColumnSpec(
                    "single_parent",
                    "Alleinerziehend",
                    "boolean",
                    aliases=("single_parent", "alleinerziehende"),
                    default=False,
                    example=True,
                ),
                ColumnSpec(
                    "household_id",
                    "Bedarfsgemeinschaft",
                    aliases=("household_id", "bg nummer", "bg", "haushalt"),
                    example="BG-0001",
                    note="Pseudonym der Bedarfsgemeinschaft (optional).",
                ),
            ),
            personal=True,
            description="Pseudonymisierte Personen (ohne Namen).",
        ),
        TableSpec(
            "benefit_spell",
            "Leistungszeiträume",
            BenefitSpell,
            ("client_id", "start_date"),
            (
                _client_ref(),
                ColumnSpec(
                    "start_date",
                    "Beginn",
                    "date",
                    required=True,
                    aliases=("start_date", "leistungsbeginn", "bezug ab", "von"),
                    not_in_future=True,
                    example=dt.date(2009, 10, 1),
                ),
                ColumnSpec(
                    "end_date",
                    "Ende",
                    "date",
                    aliases=("end_date", "leistungsende", "bezug bis", "bis"),
                    example=None,
                    note="Leer: Bezug dauert an.",
                ),
            ),
            personal=True,
            description="Zeiträume des Leistungsbezugs; daraus folgen ELB, LZB und Bezugsdauer.",
        ),
        TableSpec(
            "barrier_assessment",
            "Hemmnisse",
            BarrierAssessment,
            ("client_id", "barrier_code", "recorded_on"),
            (
                _client_ref(),
                ColumnSpec(
                    "barrier_code",
                    "Hemmnis",
                    "code",
                    required=True,
                    aliases=("barrier_code", "vermittlungshemmnis"),
                    catalogue="barrier",
                    example="Schulden",
                ),
                ColumnSpec(
                    "recorded_on",
                    "Erfasst am",
                    "date",
                    required=True,
                    aliases=("recorded_on", "festgestellt am", "seit"),
                    not_in_future=True,
                    example=dt.date(2012, 3, 15),
                ),
                ColumnSpec(
                    "resolved_on",
                    "Behoben am",
                    "date",
                    aliases=("resolved_on", "erledigt am"),
                    example=None,
                    note="Leer: besteht weiter.",
                ),
            ),
            personal=True,
            description="Festgestellte Vermittlungshemmnisse der Personen.",
        ),
        TableSpec(
            "referral",
            "Zuweisungen",
            Referral,
            ("client_id", "service_id", "start_date"),
            (
                _client_ref(),
                ColumnSpec(
                    "service_id",
                    "Leistungs-ID",
                    required=True,
                    aliases=("service_id", "angebots id"),
                    reference=("service", "id"),
                    example="L-001",
                ),
                ColumnSpec(
                    "barrier_code",
                    "Hemmnis",
                    "code",
                    aliases=("barrier_code", "vermittlungshemmnis"),
                    catalogue="barrier",
                    example="Schulden",
                    note="Das Hemmnis, an dem die Zuweisung ansetzt (optional).",
                ),
                ColumnSpec(
                    "start_date",
                    "Beginn",
                    "date",
                    required=True,
                    aliases=("start_date", "von"),
                    example=dt.date(2012, 4, 1),
                ),
                ColumnSpec(
                    "end_date",
                    "Ende",
                    "date",
                    aliases=("end_date", "bis"),
                    example=dt.date(2012, 9, 30),
                ),
                ColumnSpec(
                    "status",
                    "Status",
                    "code",
                    required=True,
                    aliases=("status", "stand"),
                    codes=REFERRAL_STATUSES,
                    synonyms=STATUS_SYNONYMS,
                    example="abgeschlossen",
                ),
            ),
            personal=True,
            description="Zuweisungen von Personen zu Leistungen der Anbieter.",
        ),
        TableSpec(
            "integration",
            "Integrationen",
            Integration,
            ("client_id", "month"),
            (
                _client_ref(),
                ColumnSpec(
                    "date",
                    "Datum",
                    "date",
                    required=True,
                    aliases=("date", "integrationsdatum", "aufnahme am"),
                    not_in_future=True,
                    example=dt.date(2013, 8, 1),
                    note="Je Person und Monat zählt eine Integration.",
                ),
                ColumnSpec(
                    "kind",
                    "Art",
                    "code",
                    required=True,
                    aliases=("kind", "art der integration"),
                    codes=INTEGRATION_KINDS,
                    synonyms=INTEGRATION_SYNONYMS,
                    example="Beschäftigung",
                    note="Beschäftigung, Ausbildung oder Selbständigkeit.",
                ),
                ColumnSpec(
                    "continued_12m",
                    "Nach 12 Monaten beschäftigt",
                    "boolean",
                    aliases=("continued_12m", "kontinuierlich", "nach 12 monaten noch beschäftigt"),
                    example=None,
                    note="ja/nein; leer, solange die 12 Monate nicht vergangen sind.",
                ),
            ),
            personal=True,
            description="Aufnahmen einer Beschäftigung, Ausbildung oder Selbständigkeit.",
        ),
        TableSpec(
            "network_event",
            "Netzwerkveranstaltungen",
            NetworkEvent,
            ("date", "title"),
            (
                ColumnSpec(
                    "date",
                    "Datum",
                    "date",
                    required=True,
                    aliases=("date", "veranstaltungsdatum"),
                    example=dt.date(2013, 9, 24),
                ),
                ColumnSpec(
                    "title",
                    "Titel",
                    required=True,
                    aliases=("title", "veranstaltung", "name"),
                    example="2. Netzwerkkonferenz",
                ),
                ColumnSpec(
                    "district_key",
                    "Kreisschlüssel",
                    aliases=("district_key", "kreiskennziffer"),
                    reference=("district", "key"),
                    digits=5,
                    example="08135",
                    note="Darf fehlen, wenn die Datenbank nur einen Kreis kennt.",
                ),
                ColumnSpec(
                    "attendees",
                    "Teilnehmende",
                    "integer",
                    aliases=("attendees", "teilnehmer", "teilnehmerzahl", "anzahl teilnehmende"),
                    low=0,
                    high=1_000_000,
                    example=150,
                ),
                ColumnSpec(
                    "location",
                    "Ort",
                    aliases=("location", "veranstaltungsort"),
                    example="Heidenheim an der Brenz",
                ),
                ColumnSpec(
                    "providers",
                    "Anbieter-IDs",
                    "list",
                    aliases=("providers", "teilnehmende anbieter", "anbieter"),
                    reference=("provider", "id"),
                    example=["A-001"],
                    note="IDs der teilnehmenden Anbieter, getrennt durch Komma; ersetzt die "
                    "bisherigen Teilnehmenden der Veranstaltung.",
                ),
            ),
            links={"providers": LinkSpec(NetworkEventProvider, "event_id", "provider_id")},
            description="Netzwerkkonferenzen und andere Veranstaltungen des Netzwerks.",
        ),
    )
}
IMPORT_ORDER = tuple(TABLES)
# Header cells that look like direct identifiers: never taken over, and the report says why.
IDENTIFYING_HEADERS = {
    "name",
    "vorname",
    "nachname",
    "familienname",
    "geburtsdatum",
    "geburtsname",
    "strasse",
    "anschrift",
    "adresse",
    "telefon",
    "email",
    "kundennummer",
    "versicherungsnummer",
}


def table_spec(name: str) -> TableSpec:
    """The spec of a table by its name: English (``benefit_spell``), plural or German label."""
    wanted = _norm(name)
    for spec in TABLES.values():
        names = {spec.name, spec.name + "s", spec.label}
        if spec.name.endswith("y"):
            names.add(spec.name[:-1] + "ies")
        if wanted in {_norm(n) for n in names}:
            return spec
    raise UnknownTable(f"Unbekannte Tabelle „{name}“; möglich sind: {', '.join(IMPORT_ORDER)}.")


def _norm(text: str) -> str:
    """Header cells and names compared loosely: case, umlauts, spaces and signs do not matter."""
    text = unicodedata.normalize("NFC", str(text)).strip().casefold()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z]", "", text)


# --- Reading files ---------------------------------------------------------------------------


@dataclass
class SourceFile:
    """A file read as text cells: its header and its data rows with their row numbers."""

    name: str
    sha256: str
    format: str  # "CSV", "Excel", "Parquet" or "unbekannt"
    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str | None]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    header_row: int | None = 1  # None where the file has no header row (Parquet)
    # (row, position) of cells that were numbers in the file (Excel number cells, numeric
    # Parquet columns): only there a key that lost its leading zero is restored
    numeric: set[tuple[int, int]] = field(default_factory=set)

    def problem(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        self.problems.append(Problem(self.name, row, column, None, message))


DELIMITERS = {";": "Semikolon", ",": "Komma", "\t": "Tabulator", "|": "senkrechter Strich"}
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
MB = 1024 * 1024
CHUNK = MB  # bytes read, decoded or unpacked at a time


@dataclass(frozen=True)
class Limits:
    """How big an import file may be; checked while reading, before anything is parsed in full.

    ``max_rows`` data rows per file (TEILHABE_IMPORT_MAX_ROWS), ``max_file_bytes`` per file
    (TEILHABE_IMPORT_MAX_FILE_MB; the Daten page's uploads end at ``server.maxUploadSize``
    before that), ``max_unpacked_bytes`` of XML an Excel workbook may unpack to
    (TEILHABE_IMPORT_MAX_UNPACKED_MB). The rest are fixed: columns of the header (the widest
    table has 14; exports of case software bring a few dozen more), cells of a workbook's sheet
    (a full Excel sheet of 1,048,576 rows with up to 9 columns), entries of a workbook's zip
    archive (a normal one has 10 to 30) and how much an entry may be packed (sheet XML packs 5
    to 30 times, very uniform data up to about 100 times; a zip bomb hundreds to thousands of
    times).
    """

    max_rows: int = 1_000_000
    max_file_bytes: int = 500 * MB
    max_unpacked_bytes: int = 500 * MB
    max_columns: int = 1_000
    max_cells: int = 10_000_000
    max_entries: int = 10_000
    max_ratio: int = 200  # unpacked : packed size of one entry, from 1 MB unpacked on

    @classmethod
    def from_settings(cls, settings) -> Limits:
        """The limits of ``data_access.settings.Settings``."""
        return cls(
            max_rows=settings.import_max_rows,
            max_file_bytes=settings.import_max_file_mb * MB,
            max_unpacked_bytes=settings.import_max_unpacked_mb * MB,
        )

    def describe(self) -> str:
        """The limits in German, for the Daten page and the command's help."""
        return (
            f"höchstens {_count(self.max_rows)} Datenzeilen und {_count(self.max_columns)} "
            f"Spalten, Excel-Dateien höchstens {_count(self.max_cells)} Zellen und "
            f"{_megabytes(self.max_unpacked_bytes)} entpackt"
        )


def _megabytes(size: int) -> str:
    return f"{_count(round(size / MB))} MB" if size >= MB else f"{_count(size)} Bytes"


class _TooBig(Exception):
    """The file exceeds a limit; the message says which, in German."""


def _rows_message(limits: Limits) -> str:
    return (
        f"Die Datei hat mehr als {_count(limits.max_rows)} Datenzeilen; höchstens "
        f"{_count(limits.max_rows)} je Datei (Einstellung TEILHABE_IMPORT_MAX_ROWS). Sie wurde "
        "nicht weiter gelesen; bitte in kleinere Dateien teilen."
    )


def _columns_message(count: int, limits: Limits) -> str:
    return (
        f"Die Kopfzeile hat {_count(count)} Spalten; höchstens {_count(limits.max_columns)} "
        "sind erlaubt. Die Datei wurde nicht weiter gelesen."
    )


def read_file(
    source: Path | str | bytes, name: str | None = None, limits: Limits | None = None
) -> SourceFile:
    """Read a CSV, Excel or Parquet file into text cells; never raises for a bad file.

    ``source`` is a path or the file's bytes (then ``name`` is the file name shown in the
    report). The format is recognised from the content (Parquet and Excel have signatures),
    else from the name. Problems that make the file unreadable are in ``problems``; so is a
    file beyond ``limits`` (size, rows, columns, a workbook's unpacked size and cells), which
    is refused as soon as that is known, before it is parsed in full.
    """
    limits = limits or Limits()
    if isinstance(source, bytes | bytearray | memoryview):
        content = bytes(source)
        name = name or "Datei"
    else:
        path = Path(source)
        name = name or path.name
        try:
            size = path.stat().st_size
            if size > limits.max_file_bytes:
                result = SourceFile(name, "", "unbekannt")
                result.problem(_size_message(size, limits))
                return result
            content = path.read_bytes()
        except OSError as error:
            result = SourceFile(name, "", "unbekannt")
            reason = (
                "Die Datei existiert nicht."
                if isinstance(error, FileNotFoundError)
                else (f"Die Datei kann nicht gelesen werden ({error.strerror or error}).")
            )
            result.problem(reason)
            return result
    sha256 = hashlib.sha256(content).hexdigest()
    if len(content) > limits.max_file_bytes:
        result = SourceFile(name, sha256, "unbekannt")
        result.problem(_size_message(len(content), limits))
        return result
    suffix = Path(name).suffix.lower()
    if content.startswith(b"PAR1") or (suffix == ".parquet" and not content.startswith(b"PK")):
        return _read_parquet(content, name, sha256, limits)
    if content.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or suffix in EXCEL_SUFFIXES:
        return _read_excel(content, name, sha256, limits)
    if suffix not in ("", ".csv", ".txt", ".tsv", ".tab"):
        result = SourceFile(name, sha256, "unbekannt")
        result.problem(
            f"Unbekanntes Dateiformat „{suffix}“; möglich sind CSV (.csv, .txt), Excel (.xlsx) "
            "und Parquet (.parquet)."
        )
        return result
    return _read_csv(content, name, sha256, limits)


def _size_message(size: int, limits: Limits) -> str:
    return (
        f"Die Datei ist {_megabytes(size)} groß; höchstens {_megabytes(limits.max_file_bytes)} "
        "sind erlaubt (Einstellung TEILHABE_IMPORT_MAX_FILE_MB). Bitte in kleinere Dateien teilen."
    )


CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def _decodes(content: bytes, encoding: str) -> bool:
    """Whether the whole content decodes, checked piece by piece (no copy of the text)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(content)
    try:
        for offset in range(0, len(content), CHUNK):
            decoder.decode(view[offset : offset + CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _encoding(content: bytes) -> tuple[str, str]:
    """(Python codec, German name) of a text file: UTF-16 with BOM, UTF-8 (with or without
    BOM), else Windows-1252, else ISO-8859-1."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) and _decodes(content, "utf-16"):
        return "utf-16", "UTF-16"
    if _decodes(content, "utf-8"):
        bom = content.startswith(b"\xef\xbb\xbf")
        return "utf-8-sig", "UTF-8 mit BOM" if bom else "UTF-8"
    if not any(byte in content for byte in CP1252_UNDEFINED):
        return "cp1252", "Windows-1252"
    return "latin-1", "ISO-8859-1"


def _text_stream(content: bytes, encoding: str) -> io.TextIOWrapper:
    """The content as text, decoded while it is read (no second copy of the whole file)."""
    return io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline="")


def _line_bound(content: bytes) -> int:
    """At least as many as the file has lines (LF, CRLF or CR ends a line)."""
    return content.count(b"\n") + content.count(b"\r") - content.count(b"\r\n") + 1


def _read_csv(content: bytes, name: str, sha256: str, limits: Limits | None = None) -> SourceFile:
    """Read the CSV as a stream: the records are parsed one by one from the bytes; a file with
    more data rows than ``limits.max_rows`` is refused after counting them (without keeping
    them) and a header wider than ``limits.max_columns`` right away."""
    limits = limits or Limits()
    result = SourceFile(name, sha256, "CSV")
    encoding, label = _encoding(content)
    head = _text_stream(content, encoding)
    first_line = head.readline(CHUNK)
    delimiter = None
    skip = 0
    hint = re.fullmatch(r'"?sep=(.)"?', first_line.strip(), re.IGNORECASE)
    if hint:
        delimiter, skip = hint.group(1), 1  # Excel's hint line; Excel does not show it as a row
    if delimiter is None:
        line = first_line
        while line and not line.strip():
            line = head.readline(CHUNK)
        delimiter = _sniff(line)
    head.detach()

    def records() -> Iterator[list[str]]:
        """Every record after the hint line, parsed while the bytes are decoded."""
        reader = csv.reader(_text_stream(content, encoding), delimiter=delimiter)
        for _ in range(skip):
            next(reader, None)
        yield from reader

    try:
        if _line_bound(content) > limits.max_rows + skip + 1:
            # maybe too many rows: count them first, without keeping any
            data_rows = -1  # the header is not a data row
            for record in records():
                if any(v.strip() for v in record):
                    data_rows += 1
                    if data_rows > limits.max_rows:
                        result.problem(_rows_message(limits))
                        return result
        header: list[str] | None = None
        width = 0
        # row numbers as a spreadsheet shows them: one per record (a quoted line break does
        # not start a new row, the hint line is not shown)
        for index, record in enumerate(records(), start=1):
            if not any(value.strip() for value in record):
                continue  # blank line, e.g. at the end of a file saved by a spreadsheet
            if header is None:
                if len(record) > limits.max_columns:
                    result.problem(_columns_message(len(record), limits), row=index)
                    return result
                result.header_row = index
                header = [cell.strip() for cell in record]
                width = len(header)
                continue
            if len(record) > width and any(v.strip() for v in record[width:]):
                result.problem("Die Zeile hat mehr Werte als die Kopfzeile Spalten.", row=index)
                continue
            if len(result.rows) >= limits.max_rows:
                result.rows = []
                result.problem(_rows_message(limits))
                return result
            result.rows.append((index, [_cell(v) for v in record[:width]]))
    except csv.Error as error:
        result.rows = []
        result.problem(f"Die Datei ist kein lesbares CSV ({error}).")
        return result
    if header is None:
        result.problem("Die Datei ist leer.")
        return result
    result.header = header
    shown = DELIMITERS.get(delimiter, f"„{delimiter}“")
    result.notes.append(f"CSV-Datei gelesen: Kodierung {label}, Trennzeichen {shown}.")
    return result


def _sniff(line: str) -> str:
    """The delimiter that splits the header line into the most fields (";" on a tie)."""
    best, fields = ";", 1
    for candidate in DELIMITERS:
        try:
            count = len(next(csv.reader([line], delimiter=candidate), []))
        except csv.Error:
            continue
        if count > fields:
            best, fields = candidate, count
    return best


def _cell(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _read_excel(content: bytes, name: str, sha256: str, limits: Limits | None = None) -> SourceFile:
    """The first sheet with content; its first non-empty row is the header. Cells are read as
    the text Excel shows (dates as ISO text), row numbers are those of the sheet. The workbook's
    zip archive is checked against ``limits`` first (``_check_workbook``)."""
    limits = limits or Limits()
    result = SourceFile(name, sha256, "Excel")
    try:
        _check_workbook(content, limits)
    except _TooBig as error:
        result.problem(str(error))
        return result
    try:
        import fastexcel

        reader = fastexcel.read_excel(content)
        sheets = list(reader.sheet_names)
    except Exception:  # noqa: BLE001 - any failure of the reader means: not a readable workbook
        result.problem("Die Datei ist keine lesbare Excel-Datei (.xlsx).")
        return result
    for index, sheet_name in enumerate(sheets):
        try:
            # no header row and no skipped rows: row i of the frame is row i + 1 of the sheet
            frame = reader.load_sheet(index, header_row=None, skip_rows=0, dtypes="string")
            table = frame.to_polars()
            del frame
        except Exception:  # noqa: BLE001 - an empty or broken sheet: try the next one
            continue
        if table.width > limits.max_columns:
            result.problem(_columns_message(table.width, limits))
            return result
        header: list[str] | None = None
        rows: list[tuple[int, list[str | None]]] = []
        for line, record in enumerate(table.iter_rows(), start=1):
            values = [_cell(v) for v in record]
            if not any(v is not None for v in values):
                continue
            if header is None:
                result.header_row, header = line, [v or "" for v in values]
                continue
            if len(rows) >= limits.max_rows:
                result.problem(_rows_message(limits))
                return result
            rows.append((line, values))
        if header is None:
            continue
        del table
        result.header, result.rows = header, rows
        result.numeric = _number_cells(content, index)
        result.notes.append(f"Excel-Datei gelesen: Tabellenblatt „{sheet_name}“.")
        return result
    result.problem("Die Datei ist leer.")
    return result


# literal starts, so that the regular expressions search fast (a sheet's XML may be 500 MB)
XML_CELL_COLUMN = re.compile(rb' r="([A-Z]{1,3})\d')  # a cell's reference, e.g. r="B12"
XML_ROW_NUMBER = re.compile(rb' r="(\d{1,10})"')  # a row's number, e.g. r="12"
XML_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]{0,30}):)?worksheet[\s>]")
XML_DIMENSION = re.compile(
    rb'<(?:[A-Za-z_][\w.-]{0,30}:)?dimension\s+ref="[A-Z]{1,3}\d{1,10}:([A-Z]{1,3})(\d{1,10})"'
)
WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


class _SheetCount:
    """Cells of a sheet's XML counted while it is unpacked: their number and the rectangle
    they span (the reader fills that rectangle, so it counts, too)."""

    def __init__(self, entry: str, limits: Limits) -> None:
        self.entry, self.limits = entry, limits
        self.cells = self.last_row = self.last_column = 0
        self.carry = b""
        self.tags: tuple[bytes, ...] | None = None  # how a cell's tag starts

    def feed(self, piece: bytes, *, final: bool = False) -> None:
        buffer = self.carry + piece
        # cut after the last ">": no tag or attribute counted here spans it
        cut = len(buffer) if final else buffer.rfind(b">") + 1
        if cut == 0 and len(buffer) > 2 * CHUNK:  # a text of megabytes: no tag in it
            cut = len(buffer) - 64
        part, self.carry = buffer[:cut], buffer[cut:]
        if self.tags is None and (root := XML_ROOT.search(part)):
            prefix = root.group(1)
            self.tags = (b"<c", b"<" + prefix + b":c") if prefix else (b"<c",)
        if not self.cells and (dimension := XML_DIMENSION.search(part)):
            self._fits(_column_number(dimension.group(1)), int(dimension.group(2)))
        # "<c" also starts the few <col> and <cfRule> tags: counted too, on the safe side
        self.cells += sum(part.count(tag) for tag in self.tags or (b"<c",))
        columns = set(XML_CELL_COLUMN.findall(part))
        if columns:
            self.last_column = max(self.last_column, *(_column_number(c) for c in columns))
        rows = XML_ROW_NUMBER.findall(part)
        if rows:
            self.last_row = max(self.last_row, *(int(r) for r in rows))
        if self.cells > self.limits.max_cells:
            raise _TooBig(self._message(f"mehr als {_count(self.limits.max_cells)}"))
        self._fits(self.last_column, self.last_row)

    def _fits(self, columns: int, rows: int) -> None:
        if columns * rows > self.limits.max_cells:
            raise _TooBig(
                self._message(
                    f"{_count(rows)} Zeilen × {_count(columns)} Spalten, also mehr als "
                    f"{_count(self.limits.max_cells)}"
                )
            )

    def _message(self, cells: str) -> str:
        return (
            f"Das Tabellenblatt {self.entry} hat {cells} Zellen; höchstens "
            f"{_count(self.limits.max_cells)} sind erlaubt. Die Datei wurde nicht geöffnet; "
            "bitte als CSV speichern oder in kleinere Dateien teilen."
        )


def _check_workbook(content: bytes, limits: Limits) -> None:
    """Refuse a workbook (.xlsx, .xlsm, .ods: a zip archive) before a reader unpacks it, when
    it has too many entries, unpacks to more than ``limits.max_unpacked_bytes`` or one of its
    entries is packed suspiciously tightly (a zip bomb), or a sheet has more than
    ``limits.max_cells`` cells. The sizes are measured by unpacking the archive piece by piece
    (the sizes the archive declares may lie); nothing unpacked is kept. Raises ``_TooBig``; a
    file that is no readable zip archive passes (the reader then says it is unreadable)."""
    import struct
    import zipfile

    if not content.startswith(b"PK"):
        return  # .xls (OLE): at most 65,536 rows, bounded by the file size
    stream = io.BytesIO(content)
    try:
        end = zipfile._EndRecData(stream)  # the count of entries, before reading any
    except Exception:  # noqa: BLE001 - not a zip archive: the reader says so
        return
    if end is None:
        return
    if end[zipfile._ECD_ENTRIES_TOTAL] > limits.max_entries:
        raise _TooBig(
            f"Die Excel-Datei besteht aus {_count(end[zipfile._ECD_ENTRIES_TOTAL])} Teilen "
            f"(Zip-Einträgen); höchstens {_count(limits.max_entries)} sind erlaubt. Sie wurde "
            "nicht geöffnet."
        )
    try:
        infos = zipfile.ZipFile(stream).infolist()
    except Exception:  # noqa: BLE001 - a broken archive: the reader says so
        return
    view = memoryview(content)
    unpacked = 0
    for info in infos:
        offset = info.header_offset
        local = bytes(view[offset : offset + 30])
        if len(local) < 30 or not local.startswith(b"PK\x03\x04"):
            return
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        start = offset + 30 + name_length + extra_length
        packed = view[start : start + info.compress_size]
        sheet = _SheetCount(info.filename, limits) if WORKSHEET.fullmatch(info.filename) else None
        if info.compress_type == zipfile.ZIP_STORED:
            unpacked += len(packed)
            pieces: Iterable[tuple[bytes, int]] = (
                (bytes(packed[i : i + CHUNK]), i + CHUNK) for i in range(0, len(packed), CHUNK)
            )
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            pieces = _inflate(packed)
        else:
            raise _TooBig(
                f"Die Excel-Datei nutzt für {info.filename} ein unbekanntes Packverfahren "
                f"(Nr. {info.compress_type}); sie wurde nicht geöffnet."
            )
        size = 0
        for piece, consumed in pieces:
            size += len(piece)
            if info.compress_type == zipfile.ZIP_DEFLATED:
                unpacked += len(piece)
            if unpacked > limits.max_unpacked_bytes:
                raise _TooBig(
                    f"Die Excel-Datei wäre entpackt größer als "
                    f"{_megabytes(limits.max_unpacked_bytes)} (Einstellung "
                    "TEILHABE_IMPORT_MAX_UNPACKED_MB); sie wurde nicht geöffnet. Bitte als CSV "
                    "speichern oder in kleinere Dateien teilen."
                )
            if size > MB and size > limits.max_ratio * max(consumed, 1):
                raise _TooBig(
                    f"Die Excel-Datei ist ungewöhnlich stark gepackt ({info.filename} mehr als "
                    f"{_count(limits.max_ratio)}-fach) und wurde als mögliche Zip-Bombe nicht "
                    "geöffnet."
                )
            if sheet is not None:
                sheet.feed(piece)
        if sheet is not None:
            sheet.feed(b"", final=True)


def _inflate(packed: memoryview) -> Iterator[tuple[bytes, int]]:
    """Unpack deflated data piece by piece: (at most CHUNK bytes, packed bytes used so far)."""
    import zlib

    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    position = 0
    pending = b""
    while not inflater.eof:
        if not pending:
            if position >= len(packed):
                return
            pending = bytes(packed[position : position + CHUNK])
            position += len(pending)
        try:
            piece = inflater.decompress(pending, CHUNK)
        except zlib.error:
            return  # broken data: the reader says the file is unreadable
        pending = inflater.unconsumed_tail
        yield piece, position - len(pending)


def _number_cells(content: bytes, sheet: int) -> set[tuple[int, int]]:
    """(row, column position) of the number cells of a sheet of an .xlsx workbook, from its XML
    (the reader gives text only), read as a stream row by row; empty for other formats or when
    the XML cannot be read."""
    import zipfile
    from xml.etree import ElementTree

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    relation = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            sheets = workbook.findall(f"{main}sheets/{main}sheet")
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            targets = {r.get("Id"): r.get("Target", "") for r in rels}
            target = targets[sheets[sheet].get(relation)].lstrip("/")
            path = target if target.startswith("xl/") else f"xl/{target}"
            cells: set[tuple[int, int]] = set()
            data = None
            with archive.open(path) as xml:
                for event, element in ElementTree.iterparse(xml, events=("start", "end")):
                    if event == "start":
                        if element.tag == f"{main}sheetData":
                            data = element
                        continue
                    if element.tag != f"{main}row":
                        continue
                    for cell in element.iter(f"{main}c"):
                        if cell.get("t", "n") != "n" or cell.find(f"{main}v") is None:
                            continue
                        match = re.fullmatch(r"([A-Z]+)(\d+)", cell.get("r", ""))
                        if match:
                            letters, row = match.groups()
                            cells.add((int(row), _column_number(letters.encode()) - 1))
                    if data is not None:
                        del data[:]  # the rows read so far are not kept
            return cells
    except Exception:  # noqa: BLE001 - no XML to read (e.g. .xls): no cell counts as a number
        return set()


def _read_parquet(
    content: bytes, name: str, sha256: str, limits: Limits | None = None
) -> SourceFile:
    """The Parquet file's columns as text; its metadata (rows, columns, unpacked size) are
    checked against ``limits`` before any data are read."""
    limits = limits or Limits()
    result = SourceFile(name, sha256, "Parquet", header_row=None)
    try:
        import pyarrow.parquet as pq

        metadata = pq.ParquetFile(io.BytesIO(content)).metadata
        unpacked = sum(
            metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)
        )
        if metadata.num_columns > limits.max_columns:
            result.problem(_columns_message(metadata.num_columns, limits))
            return result
        if metadata.num_rows > limits.max_rows:
            result.problem(_rows_message(limits))
            return result
        if unpacked > limits.max_unpacked_bytes:
            result.problem(
                f"Die Parquet-Datei wäre entpackt größer als "
                f"{_megabytes(limits.max_unpacked_bytes)} (Einstellung "
                "TEILHABE_IMPORT_MAX_UNPACKED_MB); sie wurde nicht gelesen."
            )
            return result
        frame = pl.read_parquet(io.BytesIO(content))
    except Exception:  # noqa: BLE001 - any failure of the reader means: not a readable file
        result.problem("Die Datei ist keine lesbare Parquet-Datei.")
        return result
    result.header = [str(c).strip() for c in frame.columns]
    columns = []
    for column in frame.columns:
        try:
            columns.append(_as_text(frame[column]))
        except Exception:  # noqa: BLE001 - e.g. a nested type we cannot show as text
            result.problem(
                "Die Spalte hat einen Datentyp, der nicht gelesen werden kann.", column=column
            )
            columns.append([None] * frame.height)
    numbers = [p for p, c in enumerate(frame.columns) if frame[c].dtype.is_numeric()]
    del frame
    for index, record in enumerate(zip(*columns, strict=True), start=1):
        values = list(record)
        if any(v is not None for v in values):
            result.rows.append((index, values))
            result.numeric.update((index, p) for p in numbers)
    result.notes.append("Parquet-Datei gelesen.")
    return result


def _as_text(series: pl.Series) -> list[str | None]:
    """Typed Parquet values as the text the parsers read (ISO dates, decimal points)."""
    dtype = series.dtype
    if dtype == pl.Date:
        values = series.dt.to_string("%Y-%m-%d").to_list()
    elif isinstance(dtype, pl.Datetime):
        values = series.dt.to_string("%Y-%m-%d %H:%M:%S").to_list()
    elif dtype == pl.Boolean:
        values = [None if v is None else ("true" if v else "false") for v in series.to_list()]
    elif dtype.is_float():
        values = [
            None if v is None else (str(int(v)) if math.isfinite(v) and v.is_integer() else repr(v))
            for v in series.to_list()
        ]
    elif isinstance(dtype, pl.List | pl.Array):
        values = [
            None if v is None else ", ".join("" if x is None else str(x) for x in v)
            for v in series.to_list()
        ]
    else:
        values = series.cast(pl.String).to_list()
    return [_cell(v) for v in values]


# --- Parsing values --------------------------------------------------------------------------


class _Invalid(Exception):
    """A value does not parse; the message says why, in German."""


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# bidirectional controls: they make a name read differently from what it is ("Trojan Source")
BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}"
)
HOST = re.compile(
    r"(?:[A-Za-z0-9\u00c0-\uffff](?:[A-Za-z0-9\u00c0-\uffff-]{0,61}[A-Za-z0-9\u00c0-\uffff])?\.)+"
    r"[A-Za-z\u00c0-\uffff]{2,63}"
)
GROUPED = re.compile(r"[+-]?\d{1,3}(\.\d{3})+")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?")
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?)?")
TRUE = {"ja", "j", "true", "wahr", "1", "x", "yes", "y"}
FALSE = {"nein", "n", "false", "falsch", "0", "no"}


def _compact(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f']", "", text)


def parse_integer(text: str) -> int:
    value = _compact(text)
    if GROUPED.fullmatch(value):
        value = value.replace(".", "")  # German thousands: 49.526
    elif re.fullmatch(r"[+-]?\d+[.,]0+", value):
        value = re.split(r"[.,]", value)[0]  # 1975,0 / 1975.0 as spreadsheets write numbers
    if not re.fullmatch(r"[+-]?\d{1,15}", value):
        raise _Invalid("Der Wert ist keine ganze Zahl.")
    return int(value)


def parse_number(text: str) -> float:
    value = _compact(text)
    if "," in value and "." in value:
        if value.rfind(",") > value.rfind("."):
            value = value.replace(".", "").replace(",", ".")  # 1.234,5
        else:
            value = value.replace(",", "")  # 1,234.5
    elif "," in value:
        if value.count(",") > 1:
            raise _Invalid("Der Wert ist keine Zahl.")
        value = value.replace(",", ".")  # decimal comma: 48,68
    elif value.count(".") > 1 and GROUPED.fullmatch(value):
        value = value.replace(".", "")
    if not NUMBER.fullmatch(value):
        raise _Invalid("Der Wert ist keine Zahl.")
    number = float(value)
    if not math.isfinite(number):
        raise _Invalid("Der Wert ist keine Zahl.")
    return number


def parse_date(text: str) -> dt.date:
    value = text.strip()
    if match := ISO_DATE.fullmatch(value):
        year, month, day = (int(g) for g in match.groups())
    elif match := GERMAN_DATE.fullmatch(value):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise _Invalid("Der Wert ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT).")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _Invalid("Dieses Datum gibt es nicht.") from None


def parse_boolean(text: str) -> bool:
    value = text.strip().casefold()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise _Invalid("Erlaubt sind ja und nein.")


def _digits(text: str, digits: int, header: str, *, numeric: bool = False) -> str:
    """A key of exactly ``digits`` digits as written. Only a number cell (Excel, Parquet) that
    lost its leading zero gets it back (8135019 for 08135019); the caller notes that."""
    value = _compact(text)
    if numeric and re.fullmatch(r"\d+[.,]0", value):
        value = value[:-2]  # a key stored as a number cell: 8135019.0
    if numeric and re.fullmatch(r"\d+", value) and len(value) == digits - 1:
        value = "0" + value  # the leading zero a spreadsheet drops: 8135019 for 08135019
    if not re.fullmatch(rf"\d{{{digits}}}", value):
        raise _Invalid(f"{header}: genau {digits} Ziffern erwartet.")
    return value


def parse_email(text: str) -> str:
    value = text.strip().removeprefix("mailto:")
    if not EMAIL.fullmatch(value) or ".." in value or value.startswith("."):
        raise _Invalid("Keine gültige E-Mail-Adresse (Form: name@beispiel.de).")
    return value


def parse_url(text: str) -> str:
    from urllib.parse import urlsplit

    value = text.strip()
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not HOST.fullmatch(host)
        or re.search(r"\s", value)
        or parts.username
        or parts.password
    ):
        raise _Invalid("Keine gültige Website; erlaubt sind Adressen mit http:// oder https://.")
    return value


def _text(text: str, limit: int | None) -> str:
    if CONTROL.search(text):
        raise _Invalid("Der Wert enthält unzulässige Steuerzeichen.")
    if BIDI.search(text):
        raise _Invalid(
            "Der Wert enthält Steuerzeichen für die Schreibrichtung; sie lassen Namen anders "
            "erscheinen, als sie sind."
        )
    if limit is not None and len(text) > limit:
        raise _Invalid(f"Der Wert ist länger als {limit} Zeichen.")
    return text


# --- Checking --------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    values: dict[str, object]  # parsed values of the columns the file has
    raw: dict[str, str | None]
    defaults: dict[str, object] = field(default_factory=dict)  # for new rows only
    ok: bool = True

    def get(self, name: str) -> object:
        return self.values[name] if name in self.values else self.defaults.get(name)

    def key(self, spec: TableSpec) -> tuple:
        return tuple(self.get(k) for k in spec.key)


@dataclass
class _Checked:
    spec: TableSpec
    source: SourceFile
    columns: dict[str, str]  # column name -> header as in the file
    rows: list[_Row]
    problems: list[Problem]
    notes: list[str]

    def problem(self, row: _Row | None, column: str | None, message: str, *, value=None) -> None:
        if row is not None:
            row.ok = False
        if value is None and row is not None and column is not None:
            value = row.raw.get(column)
        shown = None
        if column is not None:
            shown = self.columns.get(column) or self.spec.column(column).header
        self.problems.append(
            Problem(
                self.source.name,
                row.line if row is not None else self.source.header_row,
                shown,
                None if value is None else str(value),
                message,
            )
        )


@dataclass(frozen=True)
class _Catalogues:
    """Codes the file may use that live in the database (or, while it has none, the shared
    catalogue, which the import then writes)."""

    barrier: dict[str, str]
    service_category: dict[str, str]
    districts: tuple[str, ...]


def _catalogues(connection: Connection) -> _Catalogues:
    barriers = dict(connection.execute(select(Barrier.code, Barrier.label)).all())
    categories = dict(connection.execute(select(ServiceCategory.code, ServiceCategory.label)).all())
    districts = tuple(connection.execute(select(District.key).order_by(District.key)).scalars())
    return _Catalogues(barriers or BARRIER_LABELS, categories or CATEGORY_LABELS, districts)


def _check(connection: Connection, spec: TableSpec, source: SourceFile) -> _Checked:
    checked = _Checked(spec, source, {}, [], list(source.problems), list(source.notes))
    if not source.header:
        return checked
    catalogues = _catalogues(connection)
    positions = _map_header(checked)
    if not source.rows and not checked.problems:
        checked.problem(None, None, "Die Datei enthält keine Datenzeilen.")
    columns = [spec.column(name) for name in positions]
    # what a row gets where the file has no value: for new rows where the column is missing,
    # and for every row where a cell of a column that cannot be empty (NOT NULL) is blank
    fallback = {c.name: c.default for c in spec.columns if c.default is not None}
    if spec.name == "network_event" and len(catalogues.districts) == 1:
        fallback["district_key"] = catalogues.districts[0]
    elif spec.name == "network_event" and "district_key" not in positions:
        checked.problem(
            None,
            "district_key",
            "Die Spalte fehlt; sie ist nötig, weil die Datenbank "
            f"{'keinen' if not catalogues.districts else 'mehr als einen'} Kreis kennt.",
        )
    restored: list[tuple[int, str, str, str]] = []  # number cells that lost their leading zero
    example = None if spec.name in REAL_EXAMPLES else _example_values(spec, catalogues)
    for line, cells in source.rows:
        raw = {
            name: cells[position] if position < len(cells) else None
            for name, position in positions.items()
        }
        row = _Row(line, {}, raw)
        blank = []
        for column in columns:
            value = raw[column.name]
            if value is None:
                if column.required:
                    checked.problem(row, column.name, "Pflichtfeld ist leer.", value="")
                row.values[column.name] = [] if column.kind == "list" else None
                if not column.required and _not_null(spec, column.name):
                    blank.append(column.name)
                continue
            numeric = (line, positions[column.name]) in source.numeric
            try:
                row.values[column.name] = _parse(spec, column, value, catalogues, numeric=numeric)
            except _Invalid as error:
                checked.problem(row, column.name, str(error))
                continue
            if column.digits and numeric and _compact(value) != row.values[column.name]:
                restored.append(
                    (line, checked.columns[column.name], value, str(row.values[column.name]))
                )
        for name in blank:
            if name in fallback:
                row.values[name] = _value_of(fallback[name], row.values)
            else:
                checked.problem(row, name, "Pflichtfeld ist leer.", value="")
        for name, default in fallback.items():
            if name not in positions:
                row.defaults[name] = _value_of(default, row.values)
        _check_row(checked, row)
        if example is not None and _is_example(row, example, spec.key):
            checked.problem(
                row,
                None,
                "Das ist die Beispielzeile der Vorlage; bitte durch eigene Daten ersetzen oder "
                "löschen.",
            )
        checked.rows.append(row)
    if restored:
        shown = "; ".join(
            f"Zeile {line}, Spalte {header}: {value} → {key}"
            for line, header, value, key in restored[:10]
        )
        more = f" und {len(restored) - 10} weitere" if len(restored) > 10 else ""
        checked.notes.append(
            f"{len(restored)} Schlüssel als Zahl gespeichert, die führende Null fehlte "
            f"(8 Ziffern erwartet) und wurde ergänzt: {shown}{more}. Bitte prüfen."
        )
    _check_duplicates(checked)
    _check_references(connection, checked)
    if spec.name == "benefit_spell":
        _check_spell_overlaps(connection, checked)
    # file problems first, then row by row (stable: within a row in the order found)
    checked.problems.sort(key=lambda p: -1 if p.row is None else p.row)
    return checked


# Tables whose template example is a real official row (Landkreis Heidenheim, its town and the
# town's population on 31.12.2012): importing it is not a mistake.
REAL_EXAMPLES = {"district", "municipality", "municipality_population"}


def _example_values(spec: TableSpec, catalogues: _Catalogues) -> dict[str, object]:
    """The template's example row as the checks parse it (column -> value)."""
    values: dict[str, object] = {}
    for column in spec.columns:
        if column.example is None:
            continue
        try:
            values[column.name] = _parse(spec, column, _example_text(column.example), catalogues)
        except _Invalid:
            continue
    return values


def _is_example(row: _Row, example: dict[str, object], key: Iterable[str]) -> bool:
    """Whether a row is the template's example row: every column of the file that has an
    example holds it (at least two such columns, the key among them)."""
    shared = [name for name in example if name in row.values]
    if len(shared) < 2 or not {k for k in key if k in example} <= set(shared):
        return False
    return all(row.values[name] == example[name] for name in shared)


def _not_null(spec: TableSpec, name: str) -> bool:
    return name in spec.table.c and not spec.table.c[name].nullable


def _value_of(default: object, values: dict[str, object]) -> object:
    return default(values) if callable(default) else default


def _map_header(checked: _Checked) -> dict[str, int]:
    """Column name -> position in the file; unknown columns are noted, required ones checked."""
    spec, source = checked.spec, checked.source
    names: dict[str, str] = {}
    for column in spec.columns:
        for alias in (column.name, column.header, *column.aliases):
            names.setdefault(_norm(alias), column.name)
    positions: dict[str, int] = {}
    ignored: list[str] = []
    identifying: list[str] = []
    keys = [_norm(header) for header in source.header]
    # columns without a header that hold a value somewhere: one pass over the rows (not one per
    # column), so that a file with thousands of such columns is mapped in linear time
    blank = {position for position, key in enumerate(keys) if not key}
    filled: set[int] = set()
    for _, cells in source.rows if blank else ():
        filled.update(p for p in blank - filled if p < len(cells) and cells[p])
        if len(filled) == len(blank):
            break
    for position, header in enumerate(source.header):
        key = keys[position]
        name = names.get(key)
        if name is None:
            if key and spec.personal and key in IDENTIFYING_HEADERS:
                identifying.append(header)
            elif key or position in filled:
                ignored.append(header or f"(ohne Überschrift, Spalte {position + 1})")
            continue
        if name in positions:
            checked.problem(
                None,
                None,
                f"Die Spalten „{source.header[positions[name]]}“ und „{header}“ meinen dasselbe "
                f"({spec.column(name).header}); bitte eine davon entfernen.",
            )
            continue
        positions[name] = position
        checked.columns[name] = header
    for column in spec.columns:
        if column.required and column.name not in positions:
            checked.problem(None, column.name, "Die Pflichtspalte fehlt.")
    if ignored:
        checked.notes.append(
            "Nicht übernommen (unbekannte Spalten): " + ", ".join(f"„{h}“" for h in ignored) + "."
        )
    if identifying:
        checked.notes.append(
            "Nicht übernommen: "
            + ", ".join(f"„{h}“" for h in identifying)
            + " – der Teilhabe-Monitor speichert keine Namen oder Anschriften von Personen."
        )
    return positions


def _parse(
    spec: TableSpec,
    column: ColumnSpec,
    value: str,
    catalogues: _Catalogues,
    *,
    numeric: bool = False,
) -> object:
    kind = column.kind
    if kind == "email":
        return _text(parse_email(value), spec.max_length(column.name))
    if kind == "url":
        return _text(parse_url(value), spec.max_length(column.name))
    if kind == "integer":
        number = parse_integer(value)
        _check_range(column, number)
        return number
    if kind == "number":
        number = parse_number(value)
        _check_range(column, number)
        return number
    if kind == "date":
        day = parse_date(value)
        latest = column.latest or latest_date()
        if not column.earliest <= day <= latest:
            raise _Invalid(
                f"Das Datum liegt nicht zwischen {_date_text(column.earliest)} und "
                f"{_date_text(latest)}."
            )
        if column.not_in_future and day > dt.date.today():
            raise _Invalid("Das Datum liegt in der Zukunft.")
        return day
    if kind == "boolean":
        return parse_boolean(value)
    if kind == "code":
        return _code(column, value, catalogues)
    if kind == "list":
        items = [item for item in re.split(r"[,;|\s]+", value) if item]
        table, key = column.reference
        limit = getattr(Base.metadata.tables[table].c[key].type, "length", None)
        parsed = [
            _digits(item, column.digits, column.header, numeric=numeric)
            if column.digits
            else _text(item, limit)
            for item in items
        ]
        return sorted(set(parsed))
    if column.digits:
        return _digits(value, column.digits, column.header, numeric=numeric)
    return _text(value, spec.max_length(column.name))


def _check_range(column: ColumnSpec, number: float) -> None:
    high = column.high() if callable(column.high) else column.high
    low = column.low
    if (low is not None and number < low) or (high is not None and number > high):
        raise _Invalid(
            f"Der Wert liegt nicht zwischen {_number_text(low)} und {_number_text(high)}."
        )


def _number_text(value: float | None) -> str:
    if value is None:
        return "…"
    if float(value).is_integer():
        return str(int(value)) if abs(value) < 10_000 else _count(int(value))
    return f"{value}".replace(".", ",")


_LOOKUPS: dict[tuple[int, int], tuple[object, object, dict[str, str]]] = {}


def _code_lookup(column: ColumnSpec, codes: Mapping[str, str]) -> dict[str, str]:
    """Normalised code, label or synonym -> code; built once per column and code list (not
    once per cell: that made the check of a big file take minutes)."""
    key = (id(column), id(codes))
    cached = _LOOKUPS.get(key)
    if cached is not None and cached[0] is column and cached[1] is codes:
        return cached[2]
    lookup = {_norm(code): code for code in codes}
    lookup.update({_norm(label): code for code, label in codes.items()})
    lookup.update({_norm(word): code for word, code in column.synonyms.items() if code in codes})
    if len(_LOOKUPS) > 64:  # the catalogues are read anew for each import
        _LOOKUPS.clear()
    _LOOKUPS[key] = (column, codes, lookup)  # kept alive with it: the ids stay unique
    return lookup


def _code(column: ColumnSpec, value: str, catalogues: _Catalogues) -> str:
    codes = column.codes if column.codes is not None else getattr(catalogues, column.catalogue)
    code = _code_lookup(column, codes).get(_norm(value))
    if code is None or not _norm(value):
        allowed = ", ".join(f"{code} ({label})" for code, label in codes.items())
        raise _Invalid(f"Unbekannter Wert; erlaubt: {allowed}.")
    return code


def _check_row(checked: _Checked, row: _Row) -> None:
    """Rules between the columns of one row."""
    for start, end in (
        ("start_date", "end_date"),
        ("active_from", "active_to"),
        ("recorded_on", "resolved_on"),
    ):
        first, last = row.values.get(start), row.values.get(end)
        if isinstance(first, dt.date) and isinstance(last, dt.date) and last < first:
            message = {
                "end_date": "Das Ende liegt vor dem Beginn.",
                "active_to": "„Angeboten bis“ liegt vor „Angeboten ab“.",
                "resolved_on": "„Behoben am“ liegt vor „Erfasst am“.",
            }[end]
            checked.problem(row, end, message)
    if checked.spec.name == "provider" and ("lat" in row.values) != ("lon" in row.values):
        pass  # one of the two columns missing from the file: the present one is checked alone
    elif checked.spec.name == "provider" and (row.values.get("lat") is None) != (
        row.values.get("lon") is None
    ):
        missing = "lat" if row.values.get("lat") is None else "lon"
        checked.problem(row, missing, "Breiten- und Längengrad nur gemeinsam angeben.", value="")
    if checked.spec.name == "municipality":
        ags, district = row.values.get("ags"), row.get("district_key")
        if ags and district and not str(ags).startswith(str(district)):
            checked.problem(
                row,
                "district_key" if "district_key" in row.values else "ags",
                f"Der Gemeindeschlüssel {ags} gehört nicht zum Kreis {district} (seine ersten "
                "fünf Ziffern sind der Kreisschlüssel).",
            )
    if checked.spec.name == "integration" and isinstance(row.values.get("date"), dt.date):
        row.values["month"] = month_index(row.values["date"])


def _check_duplicates(checked: _Checked) -> None:
    spec = checked.spec
    if any(k not in checked.columns and k != "month" for k in spec.key):
        return  # a key column is missing; reported already
    first: dict[tuple, int] = {}
    for row in checked.rows:
        key = row.key(spec)
        if any(part is None for part in key):
            continue
        if key in first:
            shown = spec.key[0] if spec.key[0] != "month" else "date"
            if spec.name == "integration":
                message = (
                    f"Für diese Person gibt es in der Datei schon eine Integration im selben "
                    f"Monat (Zeile {first[key]}); je Person und Monat zählt eine."
                )
                checked.problem(row, "date", message)
                continue
            # as written in the file where the row has the key's cells
            value = " / ".join(
                str(row.raw[k])
                if row.raw.get(k) is not None
                else (_date_text(p) if isinstance(p, dt.date) else str(p))
                for k, p in zip(spec.key, key, strict=True)
            )
            checked.problem(
                row,
                shown,
                f"Der Schlüssel ({spec.key_label}) kommt in der Datei doppelt vor "
                f"(auch in Zeile {first[key]}).",
                value=value,
            )
        else:
            first[key] = row.line


REFERENCE_MESSAGES = {
    "municipality": "Unbekannte Gemeinde (AGS nicht in der Datenbank; zuerst die Gemeinden "
    "importieren).",
    "district": "Unbekannter Kreis (nicht in der Datenbank; zuerst die Kreise importieren).",
    "provider": "Unbekannter Anbieter (nicht in der Datenbank; zuerst die Anbieter importieren).",
    "service": "Unbekannte Leistung (nicht in der Datenbank; zuerst die Leistungen importieren).",
    "client": "Unbekannte Person (nicht in der Datenbank; zuerst die Personen importieren).",
}


def _check_references(connection: Connection, checked: _Checked) -> None:
    for column in checked.spec.columns:
        if column.reference is None:
            continue
        wanted: set[str] = set()
        for row in checked.rows:
            value = row.get(column.name)
            if isinstance(value, list):
                wanted.update(value)
            elif value is not None:
                wanted.add(value)
        if not wanted:
            continue
        table, key = column.reference
        known = _existing(connection, table, key, wanted)
        if known == wanted:
            continue
        for row in checked.rows:
            value = row.get(column.name)
            for item in value if isinstance(value, list) else [value]:
                if item is not None and item not in known:
                    checked.problem(row, column.name, REFERENCE_MESSAGES[table], value=item)


def _existing(connection: Connection, table: str, key: str, values: Iterable) -> set:
    column = Base.metadata.tables[table].c[key]
    found: set = set()
    for chunk in _chunks(sorted(values), LOOKUP_CHUNK):
        found.update(connection.execute(select(column).where(column.in_(chunk))).scalars())
    return found


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_spell_overlaps(connection: Connection, checked: _Checked) -> None:
    """Spells of one person must not overlap: neither in the file nor with the database's."""
    rows = [
        r
        for r in checked.rows
        if r.ok and r.values.get("client_id") is not None and r.values.get("start_date")
    ]
    clients = sorted({r.values["client_id"] for r in rows})
    spells: dict[str, dict[dt.date, tuple[dt.date | None, _Row | None]]] = defaultdict(dict)
    for chunk in _chunks(clients, LOOKUP_CHUNK):
        statement = select(
            BenefitSpell.client_id, BenefitSpell.start_date, BenefitSpell.end_date
        ).where(BenefitSpell.client_id.in_(chunk))
        for client, start, end in connection.execute(statement):
            spells[client][start] = (end, None)
    for row in rows:
        client, start = row.values["client_id"], row.values["start_date"]
        end = (
            row.values["end_date"]
            if "end_date" in row.values
            else spells[client].get(start, (None, None))[0]
        )
        spells[client][start] = (end, row)
    for client in clients:
        ordered = sorted(spells[client].items())
        for (start_a, (end_a, row_a)), (start_b, (_, row_b)) in zip(
            ordered, ordered[1:], strict=False
        ):
            if end_a is not None and end_a < start_b:
                continue
            if row_b is not None:
                where = f"Zeile {row_a.line}" if row_a is not None else "in der Datenbank"
                checked.problem(
                    row_b,
                    "start_date",
                    "Der Leistungszeitraum überschneidet sich mit dem Zeitraum ab "
                    f"{_date_text(start_a)} derselben Person ({where}).",
                )
            elif row_a is not None:
                checked.problem(
                    row_a,
                    "end_date" if "end_date" in checked.columns else "start_date",
                    "Der Leistungszeitraum reicht in den Zeitraum ab "
                    f"{_date_text(start_b)} derselben Person (in der Datenbank).",
                )


# --- Planning and writing --------------------------------------------------------------------


@dataclass
class _Plan:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    inserts: list[dict[str, object]] = field(default_factory=list)
    updates: dict[tuple[str, ...], list[dict[str, object]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # changed columns -> rows (with the primary key under "k_<column>")
    links: dict[str, dict[tuple, list[str]]] = field(
        default_factory=dict
    )  # column -> key -> values


def _primary_key(spec: TableSpec) -> tuple[str, ...]:
    return tuple(column.name for column in spec.table.primary_key.columns)


def _load_existing(connection: Connection, spec: TableSpec, rows: list[_Row]) -> dict[tuple, dict]:
    """The database's rows with the natural keys of ``rows`` (key -> all columns)."""
    table = spec.table
    lookup = spec.key[0]
    values = sorted({row.get(lookup) for row in rows})
    keys = {row.key(spec) for row in rows}
    found: dict[tuple, dict] = {}
    for chunk in _chunks(values, LOOKUP_CHUNK):
        for record in connection.execute(
            select(table).where(table.c[lookup].in_(chunk))
        ).mappings():
            key = tuple(record[k] for k in spec.key)
            if key in keys:
                found[key] = dict(record)
    return found


def _load_links(connection: Connection, link: LinkSpec, owners: Iterable) -> dict[object, set[str]]:
    table = link.model.__table__
    result: dict[object, set[str]] = defaultdict(set)
    for chunk in _chunks(sorted(set(owners)), LOOKUP_CHUNK):
        statement = select(table.c[link.owner], table.c[link.value]).where(
            table.c[link.owner].in_(chunk)
        )
        for owner, value in connection.execute(statement):
            result[owner].add(value)
    return result


def _plan(connection: Connection, checked: _Checked) -> _Plan:
    spec = checked.spec
    if spec.name == "benefit_spell":
        return _plan_spells(connection, checked)
    plan = _Plan()
    existing = _load_existing(connection, spec, checked.rows)
    pk = _primary_key(spec)
    surrogate = pk == ("id",) and "id" not in spec.key
    base = [c.name for c in spec.table.c if c.name != "id" or not surrogate]
    provided = [c for c in base if c in checked.columns and c not in spec.key]
    link_columns = [c for c in spec.links if c in checked.columns]
    current_links = {
        column: _load_links(
            connection,
            spec.links[column],
            [record["id"] if surrogate else record[spec.key[0]] for record in existing.values()],
        )
        for column in link_columns
    }
    for row in checked.rows:
        key = row.key(spec)
        old = existing.get(key)
        if old is None:
            values = {c: row.get(c) for c in base}
            plan.inserts.append(values)
            plan.added += 1
            continue
        owner = old["id"] if surrogate else old[spec.key[0]]
        changed = tuple(c for c in provided if old[c] != row.values[c])
        links_changed = any(
            set(row.values[column]) != current_links[column].get(owner, set())
            for column in link_columns
        )
        if changed:
            plan.updates[changed].append(
                {**{f"k_{c}": old[c] for c in pk}, **{f"v_{c}": row.values[c] for c in changed}}
            )
        if changed or links_changed:
            plan.updated += 1
        else:
            plan.unchanged += 1
    for column in link_columns:
        plan.links[column] = {row.key(spec): row.values[column] for row in checked.rows}
    return plan


def _plan_spells(connection: Connection, checked: _Checked) -> _Plan:
    """Spells, with the derived month columns of every spell of the persons concerned."""
    plan = _Plan()
    clients = sorted({row.values["client_id"] for row in checked.rows})
    stored: dict[tuple, dict] = {}
    for chunk in _chunks(clients, LOOKUP_CHUNK):
        statement = select(BenefitSpell.__table__).where(BenefitSpell.client_id.in_(chunk))
        for record in connection.execute(statement).mappings():
            stored[record["client_id"], record["start_date"]] = dict(record)
    merged = {key: record["end_date"] for key, record in stored.items()}
    for row in checked.rows:
        key = row.key(checked.spec)
        old = stored.get(key)
        end = (
            row.values["end_date"]
            if "end_date" in row.values
            else (old["end_date"] if old else None)
        )
        merged[key] = end
        if old is None:
            plan.added += 1
        elif old["end_date"] != end:
            plan.updated += 1
        else:
            plan.unchanged += 1
    frame = prepare_spells(
        pl.DataFrame(
            [(client, start, end) for (client, start), end in merged.items()],
            schema={"client_id": pl.String, "start_date": pl.Date, "end_date": pl.Date},
            orient="row",
        )
    )
    derived = ("end_date", "start_month", "end_month", "lzb_from_month")
    for values in frame.iter_rows(named=True):
        old = stored.get((values["client_id"], values["start_date"]))
        if old is None:
            plan.inserts.append(values)
            continue
        changed = tuple(c for c in derived if old[c] != values[c])
        if changed:
            plan.updates[changed].append(
                {"k_id": old["id"], **{f"v_{c}": values[c] for c in changed}}
            )
    return plan


def _write_chunk(connection: Connection, statement, rows: list[dict[str, object]]) -> None:
    """Execute one statement for a chunk of rows (the one place where rows are written)."""
    connection.execute(statement, rows)


def _apply(connection: Connection, checked: _Checked, plan: _Plan) -> None:
    spec = checked.spec
    table = spec.table
    pk = _primary_key(spec)
    for chunk in _chunks(plan.inserts, WRITE_CHUNK):
        _write_chunk(connection, insert(table), list(chunk))
    for columns, rows in plan.updates.items():
        statement = (
            update(table)
            .where(*(table.c[c] == bindparam(f"k_{c}") for c in pk))
            .values({c: bindparam(f"v_{c}") for c in columns})
        )
        for chunk in _chunks(rows, WRITE_CHUNK):
            _write_chunk(connection, statement, list(chunk))
    for column, wanted in plan.links.items():
        link = spec.links[column]
        link_table = link.model.__table__
        owners = _owners(connection, checked, list(wanted))
        current = _load_links(connection, link, owners.values())
        removals, additions = [], []
        for key, values in wanted.items():
            owner = owners[key]
            have = current.get(owner, set())
            removals += [{"o": owner, "v": v} for v in sorted(have - set(values))]
            additions += [{link.owner: owner, link.value: v} for v in values if v not in have]
        statement = delete(link_table).where(
            link_table.c[link.owner] == bindparam("o"), link_table.c[link.value] == bindparam("v")
        )
        for chunk in _chunks(removals, WRITE_CHUNK):
            _write_chunk(connection, statement, list(chunk))
        for chunk in _chunks(additions, WRITE_CHUNK):
            _write_chunk(connection, insert(link_table), list(chunk))


def _owners(connection: Connection, checked: _Checked, keys: list[tuple]) -> dict[tuple, object]:
    """Natural key -> the value a link table stores for the row (its id, or its key)."""
    spec = checked.spec
    if _primary_key(spec) != ("id",) or "id" in spec.key:
        return {key: key[0] for key in keys}
    rows = [_Row(0, dict(zip(spec.key, key, strict=True)), {}) for key in keys]
    return {key: record["id"] for key, record in _load_existing(connection, spec, rows).items()}


def _seed_catalogues(connection: Connection, spec: TableSpec) -> bool:
    """Write the shared barrier and service catalogue into a database that has none yet, when
    the table refers to them."""
    if not any(column.catalogue for column in spec.columns):
        return False
    seeded = False
    if connection.execute(select(func.count()).select_from(Barrier)).scalar_one() == 0:
        connection.execute(insert(Barrier), [vars(b) for b in BARRIERS])
        seeded = True
    if connection.execute(select(func.count()).select_from(ServiceCategory)).scalar_one() == 0:
        connection.execute(
            insert(ServiceCategory),
            [{"code": c.code, "label": c.label} for c in SERVICE_CATEGORIES],
        )
        connection.execute(
            insert(ServiceCategoryBarrier),
            [
                {"category_code": c.code, "barrier_code": b}
                for c in SERVICE_CATEGORIES
                for b in c.barriers
            ],
        )
        seeded = True
    return seeded


def set_dataset_info(connection: Connection, key: str, value: str) -> None:
    """Insert or update one key of ``dataset_info`` (inside the caller's transaction)."""
    exists = connection.execute(select(DatasetInfo.key).where(DatasetInfo.key == key)).scalar()
    if exists is None:
        connection.execute(insert(DatasetInfo).values(key=key, value=value))
    else:
        connection.execute(update(DatasetInfo).where(DatasetInfo.key == key).values(value=value))


# --- Importing -------------------------------------------------------------------------------


def validate(
    engine: Engine,
    table: str,
    source: Path | str | bytes | SourceFile,
    *,
    actor: Actor,
    name: str | None = None,
    limits: Limits | None = None,
) -> ImportReport:
    """Check a file completely and say what an import would do; writes nothing.

    Needs the role ``datenverantwortung`` like the import (the check looks up persons and
    spells in the database).
    """
    return import_table(engine, table, source, actor=actor, name=name, dry_run=True, limits=limits)


def import_table(
    engine: Engine,
    table: str,
    source: Path | str | bytes | SourceFile,
    *,
    actor: Actor,
    name: str | None = None,
    dry_run: bool = False,
    limits: Limits | None = None,
) -> ImportReport:
    """Check the file and upsert its rows by natural key, all in one transaction.

    ``actor`` is the person importing; without the role ``datenverantwortung`` (or higher)
    ``PermissionDenied`` is raised before the file is even read. With problems nothing is
    written and the report lists every one of them; with ``dry_run`` nothing is written either,
    and the report says what the import would add and update. Otherwise the rows are written,
    the import is logged (``import_log``, naming the actor) and, if anything changed, the data
    get a new version. A file beyond ``limits`` (default: ``Limits()``) is refused while it is
    read, with one problem naming the limit. Raises ``UnknownTable`` for a table name that is
    not importable; a failure while writing (database gone, disk full) propagates and leaves
    the database as it was.
    """
    require_role(actor, DATA_STEWARD, "Der Import von Dateien")
    spec = table_spec(table)
    file = source if isinstance(source, SourceFile) else read_file(source, name, limits)
    report = ImportReport(spec.name, file.name, file.sha256, file.format, dry_run)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            checked = _check(connection, spec, file)
            report.rows = len(checked.rows)
            report.problems = checked.problems
            report.notes = checked.notes
            if checked.problems:
                transaction.rollback()
                return report
            plan = _plan(connection, checked)
            report.added, report.updated, report.unchanged = (
                plan.added,
                plan.updated,
                plan.unchanged,
            )
            if dry_run:
                transaction.rollback()
                return report
            seeded = _seed_catalogues(connection, spec)
            _apply(connection, checked, plan)
            # derived columns of rows not in the file (LZB months of a person's other spells)
            # count as a change of the data, too
            report.changed = seeded or bool(plan.inserts or plan.updates or plan.updated)
            _log(connection, report, actor)
    except (IntegrityError, DataError):
        # e.g. another process changed the same rows at the same moment: nothing was written
        report.problems.append(
            Problem(
                file.name,
                None,
                None,
                None,
                "Die Datenbank hat den Import abgelehnt (ein Schlüssel oder Verweis passt nicht, "
                "etwa weil sich dieselben Daten gleichzeitig geändert haben). Es wurde nichts "
                "geschrieben; bitte erneut prüfen und importieren.",
            )
        )
        report.changed, report.data_version, report.log_id = False, None, None
    return report


def attribution(actor: Actor) -> dict[str, str | None]:
    """The ``import_log`` columns naming who imported: a label (e-mail, name or OS user) and,
    for a logged-in person, their OIDC subject, e-mail and role."""
    return {
        "imported_by": actor.label[:120] if actor.kind != "cli" or actor.name else None,
        "imported_by_subject": actor.subject[:255] if actor.subject else None,
        "imported_by_email": actor.email[:255] if actor.email else None,
        "imported_by_role": actor.role if actor.kind != "cli" else None,
    }


def _log(connection: Connection, report: ImportReport, actor: Actor) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    result = connection.execute(
        insert(ImportLog).values(
            imported_at=now,
            table_name=report.table,
            file_name=report.file_name[:255],
            file_sha256=report.sha256,
            rows=report.rows,
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            **attribution(actor),
        )
    )
    report.log_id = int(result.inserted_primary_key[0])
    if not report.changed:
        return
    report.data_version = f"import-{report.log_id}-{now:%Y%m%dT%H%M%SZ}-{report.sha256[:8]}"
    connection.execute(
        update(ImportLog)
        .where(ImportLog.id == report.log_id)
        .values(data_version=report.data_version)
    )
    set_dataset_info(connection, "data_version", report.data_version)
    if TABLES[report.table].personal:
        set_dataset_info(connection, "synthetic", "false")


def record_import(
    connection: Connection,
    *,
    table: str,
    file_name: str,
    sha256: str,
    counts: tuple[int, int, int],
    actor: Actor,
    data_version: str | None = None,
) -> int:
    """Log an import that is not a table file (e.g. the HSDS provider directory) in
    ``import_log``, inside the caller's transaction; ``counts`` are added, updated and
    unchanged rows. Returns the log's id."""
    added, updated, unchanged = counts
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    result = connection.execute(
        insert(ImportLog).values(
            imported_at=now,
            table_name=table[:40],
            file_name=file_name[:255],
            file_sha256=sha256,
            rows=added + updated + unchanged,
            added=added,
            updated=updated,
            unchanged=unchanged,
            data_version=data_version,
            **attribution(actor),
        )
    )
    return int(result.inserted_primary_key[0])


def import_log(engine: Engine, *, limit: int = 200) -> pl.DataFrame:
    """The newest imports first: time (UTC), table, file, hash, counts, by whom, data version."""
    schema = {
        "id": pl.Int64,
        "imported_at": pl.Datetime("us"),
        "table_name": pl.String,
        "file_name": pl.String,
        "file_sha256": pl.String,
        "rows": pl.Int64,
        "added": pl.Int64,
        "updated": pl.Int64,
        "unchanged": pl.Int64,
        "imported_by": pl.String,
        "data_version": pl.String,
        "imported_by_subject": pl.String,
        "imported_by_email": pl.String,
        "imported_by_role": pl.String,
    }
    with engine.connect() as connection:
        records = connection.execute(
            select(ImportLog.__table__).order_by(ImportLog.id.desc()).limit(limit)
        ).all()
    return pl.DataFrame([tuple(r) for r in records], schema=schema, orient="row")


# --- Templates -------------------------------------------------------------------------------


KIND_LABELS = {
    "text": "Text",
    "email": "E-Mail-Adresse",
    "url": "Webadresse (http:// oder https://)",
    "integer": "ganze Zahl",
    "number": "Zahl (Dezimalkomma oder -punkt)",
    "date": "Datum (TT.MM.JJJJ oder JJJJ-MM-TT)",
    "boolean": "ja/nein",
    "code": "Wert aus einer Liste",
    "list": "Liste",
}


def column_guide(table: str) -> pl.DataFrame:
    """One row per column of a table: header, required, content, allowed values, also read as."""
    spec = table_spec(table)
    rows = []
    for column in spec.columns:
        codes = column.codes
        if codes is None and column.catalogue == "barrier":
            codes = BARRIER_LABELS
        elif codes is None and column.catalogue == "service_category":
            codes = CATEGORY_LABELS
        kind = KIND_LABELS[column.kind]
        if column.digits and column.kind != "list":
            kind = f"{column.digits} Ziffern"
        content = "; ".join(
            part
            for part in (
                kind,
                "Teil des Schlüssels" if column.name in spec.key else "",
                column.note,
            )
            if part
        )
        rows.append(
            {
                "Spalte": column.header,
                "Pflicht": "ja" if column.required else "nein",
                "Inhalt": content,
                "Erlaubte Werte": ", ".join(f"{label} ({code})" for code, label in codes.items())
                if codes
                else "",
                "Auch erkannt als": ", ".join(a for a in column.aliases if a != column.header),
            }
        )
    return pl.DataFrame(rows)


def _example_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, dt.date):
        return _date_text(value)
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def template_csv(table: str) -> bytes:
    """The table's CSV template: German headers and one example row, as German Excel saves it
    (semicolon, UTF-8 with BOM, CRLF); importable as it is once its references exist."""
    spec = table_spec(table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.header for c in spec.columns])
    writer.writerow([_example_text(c.example) for c in spec.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx(table: str) -> bytes:
    """The table's Excel template: sheet 1 with headers and an example row (dates as dates,
    keys as text), sheet 2 "Erläuterungen" with what each column holds."""
    import xlsxwriter

    spec = table_spec(table)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    date = workbook.add_format({"num_format": "dd.mm.yyyy"})
    text = workbook.add_format({"num_format": "@"})
    sheet = workbook.add_worksheet(spec.label[:31])
    for position, column in enumerate(spec.columns):
        sheet.write_string(0, position, column.header, bold)
        sheet.set_column(position, position, max(14, len(column.header) + 4))
        value = column.example
        if value is None:
            continue
        if isinstance(value, bool) or column.kind in ("boolean",):
            sheet.write_string(1, position, _example_text(value))
        elif isinstance(value, dt.date):
            sheet.write_datetime(1, position, dt.datetime.combine(value, dt.time()), date)
        elif isinstance(value, int | float):
            sheet.write_number(1, position, value)
        else:
            sheet.write_string(1, position, _example_text(value), text)
    sheet.freeze_panes(1, 0)
    guide = column_guide(spec.name)
    notes = workbook.add_worksheet("Erläuterungen")
    notes.write_string(0, 0, f"Vorlage für {spec.label}: {spec.description}")
    notes.write_string(
        1,
        0,
        "Zeile 1 des ersten Blatts sind die Spaltenüberschriften; die Beispielzeile ersetzen. "
        "Schlüssel: " + spec.key_label + ".",
    )
    for position, header in enumerate(guide.columns):
        notes.write_string(3, position, header, bold)
        notes.set_column(position, position, 28 if position != 2 else 60)
    for line, row in enumerate(guide.iter_rows(), start=4):
        for position, value in enumerate(row):
            notes.write_string(line, position, str(value))
    workbook.close()
    return buffer.getvalue()


def template_name(table: str, suffix: str) -> str:
    return f"vorlage-{table_spec(table).name.replace('_', '-')}.{suffix}"
