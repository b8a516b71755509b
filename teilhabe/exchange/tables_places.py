"""The importable tables of places: districts, their municipalities and population figures."""

from __future__ import annotations

import datetime as dt

from data_access.models import (
    District,
    Municipality,
    MunicipalityPopulation,
)
from teilhabe.exchange import rules
from teilhabe.exchange.specs import (
    ColumnSpec,
    TableSpec,
    _ags,
    _district_reference,
    _latitude,
    _longitude,
)

DISTRICT = TableSpec(
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
    real_example=True,
    description="Kreise und ihre Jobcenter; vor den Gemeinden zu importieren.",
)


MUNICIPALITY = TableSpec(
    "municipality",
    "Gemeinden",
    Municipality,
    ("ags",),
    (
        _ags("ags", reference=False),
        _district_reference(
            "Fehlt die Spalte, gelten die ersten 5 Ziffern des AGS.",
            default=lambda row: str(row.get("ags") or "")[:5] or None,
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
    real_example=True,
    description="Gemeinden mit Einwohnerzahl und Ortsmitte (für die Karte).",
    row_checks=(rules.municipality_in_district,),
)


MUNICIPALITY_POPULATION = TableSpec(
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
    real_example=True,
    description="Weitere Einwohnerzahlen der Gemeinden mit ihrem Stand (z. B. zum "
    "Stichtag der Daten); Werte je 1.000 Einwohner nehmen die Zahl mit dem Stand, der "
    "dem Stichtag am nächsten liegt.",
)
