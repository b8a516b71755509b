"""The importable tables (``TABLES``, in ``IMPORT_ORDER``) and finding one by name."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from data_access.models import (
    BarrierAssessment,
    BenefitSpell,
    Client,
    District,
    Integration,
    Municipality,
    MunicipalityPopulation,
    NetworkEvent,
    NetworkEventProvider,
    Provider,
    Referral,
    Service,
    ServiceArea,
)
from teilhabe.definitions import (
    INTEGRATION_KINDS,
    PROVIDER_KINDS,
    REFERRAL_STATUSES,
    SEXES,
)
from teilhabe.exchange import rules
from teilhabe.exchange.kennzahl_tables import KENNZAHL_TABLES
from teilhabe.exchange.specs import (
    INTEGRATION_SYNONYMS,
    SEX_SYNONYMS,
    ColumnSpec,
    LinkSpec,
    TableSpec,
    _ags,
    _client_ref,
    _latitude,
    _longitude,
    _this_year,
)


class UnknownTable(ValueError):
    """The table name is none of the importable tables."""


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
            row_checks=(rules.municipality_in_district,),
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
            row_checks=(rules.coordinates_together,),
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
            file_checks=(rules.spell_overlaps,),
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
            row_checks=(rules.integration_month,),
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
# benefit amounts and the published figures of other Jobcenters (``kennzahl_tables``)
TABLES.update({spec.name: spec for spec in KENNZAHL_TABLES})
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
