"""What belongs to one table, declared on its spec instead of branches on the table's name in
the general check: checks per row and per file (``TableSpec.row_checks``, ``file_checks``),
defaults for the whole file (``file_defaults``), the message for a duplicate (``duplicate``) and
a table's own planning of its writes (``planner``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from typing import TYPE_CHECKING

import polars as pl
from sqlalchemy import Connection, select

from data_access.models import BenefitSpell
from data_access.periods import month_index
from data_access.receipt import prepare_spells
from teilhabe.exchange.basics import LOOKUP_CHUNK, _chunks, _date_text
from teilhabe.exchange.plan import _Plan

if TYPE_CHECKING:
    from teilhabe.exchange.checking import _Catalogues, _Checked, _Row


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


def _day(values: dict[str, object], name: str) -> dt.date | None:
    """A parsed date of a row (None where the cell is empty)."""
    value = values.get(name)
    return value if isinstance(value, dt.date) else None


def integration_month(checked: _Checked, row: _Row) -> None:
    """An integration gets the month of its date (part of its key)."""
    date = row.values.get("date")
    if isinstance(date, dt.date):
        row.values["month"] = month_index(date)


def spell_overlaps(connection: Connection, checked: _Checked) -> None:
    """Spells of one person must not overlap: neither in the file nor with the database's."""
    found = [
        (client, start, r)
        for r in checked.rows
        if r.ok
        and isinstance(client := r.values.get("client_id"), str)
        and isinstance(start := r.values.get("start_date"), dt.date)
    ]
    clients = sorted({client for client, _, _ in found})
    spells: dict[str, dict[dt.date, tuple[dt.date | None, _Row | None]]] = defaultdict(dict)
    for chunk in _chunks(clients, LOOKUP_CHUNK):
        statement = select(
            BenefitSpell.client_id, BenefitSpell.start_date, BenefitSpell.end_date
        ).where(BenefitSpell.client_id.in_(chunk))
        for client, start, end in connection.execute(statement):
            spells[client][start] = (end, None)
    for client, start, row in found:
        end = (
            _day(row.values, "end_date")
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


def event_district(
    checked: _Checked, catalogues: _Catalogues, columns: Collection[str], fallback: dict
) -> None:
    """A network event without a district column belongs to the only district the database
    knows; with none or several, the column is needed."""
    if len(catalogues.districts) == 1:
        fallback["district_key"] = catalogues.districts[0]
    elif "district_key" not in columns:
        checked.problem(
            None,
            "district_key",
            "Die Spalte fehlt; sie ist nötig, weil die Datenbank "
            f"{'keinen' if not catalogues.districts else 'mehr als einen'} Kreis kennt.",
        )


def integration_duplicate(checked: _Checked, row: _Row, first_line: int) -> None:
    """One integration per person and month: a second one in the file names the first."""
    checked.problem(
        row,
        "date",
        "Für diese Person gibt es in der Datei schon eine Integration im selben Monat "
        f"(Zeile {first_line}); je Person und Monat zählt eine.",
    )


def plan_spells(connection: Connection, checked: _Checked) -> _Plan:
    """Spells, with the derived month columns of every spell of the persons concerned."""
    plan = _Plan()
    clients = sorted({str(row.values["client_id"]) for row in checked.rows})
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
