"""Checks that belong to one table, declared on its spec (``TableSpec.row_checks`` and
``file_checks``) instead of branches on the table's name in the general check."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from data_access.models import BenefitSpell
from data_access.periods import month_index
from teilhabe.exchange.basics import LOOKUP_CHUNK, _chunks, _date_text

if TYPE_CHECKING:
    from teilhabe.exchange.checking import _Checked, _Row


def coordinates_together(checked: _Checked, row: _Row) -> None:
    """A provider's latitude and longitude come together or not at all."""
    if ("lat" in row.values) != ("lon" in row.values):
        return  # one of the two columns missing from the file: the present one is checked alone
    if (row.values.get("lat") is None) != (row.values.get("lon") is None):
        missing = "lat" if row.values.get("lat") is None else "lon"
        checked.problem(row, missing, "Breiten- und Längengrad nur gemeinsam angeben.", value="")


def municipality_in_district(checked: _Checked, row: _Row) -> None:
    """A municipality's AGS starts with its district's key."""
    ags, district = row.values.get("ags"), row.get("district_key")
    if ags and district and not str(ags).startswith(str(district)):
        checked.problem(
            row,
            "district_key" if "district_key" in row.values else "ags",
            f"Der Gemeindeschlüssel {ags} gehört nicht zum Kreis {district} (seine ersten "
            "fünf Ziffern sind der Kreisschlüssel).",
        )


def integration_month(checked: _Checked, row: _Row) -> None:
    """An integration gets the month of its date (part of its key)."""
    if isinstance(row.values.get("date"), dt.date):
        row.values["month"] = month_index(row.values["date"])


def spell_overlaps(connection: Connection, checked: _Checked) -> None:
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
