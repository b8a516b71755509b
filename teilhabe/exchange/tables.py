"""The importable tables (``TABLES``, in ``IMPORT_ORDER``) and finding one by name."""

from __future__ import annotations

import re
import unicodedata

from teilhabe.exchange.kennzahl_tables import KENNZAHL_TABLES
from teilhabe.exchange.specs import TableSpec
from teilhabe.exchange.tables_cases import (
    BARRIER_ASSESSMENT,
    BENEFIT_SPELL,
    CLIENT,
    INTEGRATION,
    REFERRAL,
)
from teilhabe.exchange.tables_network import NETWORK_EVENT, PROVIDER, SERVICE
from teilhabe.exchange.tables_places import DISTRICT, MUNICIPALITY, MUNICIPALITY_POPULATION


class UnknownTable(ValueError):
    """The table name is none of the importable tables."""


# The one registry: every importable table, parents before the tables that refer to them (the
# order of IMPORT_ORDER, of the Daten page's list and of the templates). A new table is a spec in
# one of the ``tables_*`` modules and one line here.
TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        DISTRICT,
        MUNICIPALITY,
        MUNICIPALITY_POPULATION,
        PROVIDER,
        SERVICE,
        CLIENT,
        BENEFIT_SPELL,
        BARRIER_ASSESSMENT,
        REFERRAL,
        INTEGRATION,
        NETWORK_EVENT,
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
