"""What a column and a table of an import are (``ColumnSpec``, ``LinkSpec``, ``TableSpec``),
the helpers that build recurring columns and the synonyms accepted for codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table

from teilhabe.definitions import (
    BARRIERS,
    SERVICE_CATEGORIES,
)

DATE_MIN = dt.date(1950, 1, 1)
DATE_MAX = dt.date(2099, 12, 31)  # hard bound; plausible dates end FUTURE_YEARS after today
FUTURE_YEARS = 5  # a date more than this many years after the current year is implausible
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


def table_of(model: type) -> Table:
    """The table a mapped model class is stored in."""
    table = getattr(model, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a mapped table")
    return table


@dataclass(frozen=True)
class LinkSpec:
    """A list column stored as rows of a link table: (owner column, value column)."""

    model: type
    owner: str
    value: str

    @property
    def table(self) -> Table:
        return table_of(self.model)


@dataclass(frozen=True)
class TableSpec:
    name: str
    label: str  # German, plural
    model: type
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    personal: bool = False  # client-level (social) data
    # the template's example row is a real official row (Landkreis Heidenheim, its town and the
    # town's population on 31.12.2012): importing it is not a mistake
    real_example: bool = False
    links: Mapping[str, LinkSpec] = field(default_factory=dict)
    description: str = ""
    # the table's own checks (``rules``): per row (checked, row) and per file (connection, checked)
    row_checks: tuple[Callable[[Any, Any], None], ...] = ()
    file_checks: tuple[Callable[[Connection, Any], None], ...] = ()
    # once the header is mapped, (checked, catalogues, columns of the file, fallback values):
    # add values for the whole file to the fallbacks, or report a missing column
    file_defaults: Callable[[Any, Any, Collection[str], dict[str, object]], None] | None = None
    # a key twice in the file, (checked, row, line of the first): report it in the table's words
    duplicate: Callable[[Any, Any, int], None] | None = None
    # the table's own plan of its writes, (connection, checked) -> _Plan, instead of the upsert
    planner: Callable[[Connection, Any], Any] | None = None

    @property
    def table(self) -> Any:  # a mapped Table; Any while the writers use its columns loosely
        return table_of(self.model)

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


def _district_reference(note: str, default: object = None) -> ColumnSpec:
    """The district key column of a table that refers to a district (``district.key``)."""
    return ColumnSpec(
        "district_key",
        "Kreisschlüssel",
        aliases=("district_key", "kreiskennziffer"),
        reference=("district", "key"),
        digits=5,
        default=default,
        example="08135",
        note=note,
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
