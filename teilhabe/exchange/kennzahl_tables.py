"""The two importable tables beyond the case data and their own checks: monthly benefit
amounts per person (``benefit_amount``, for K1 and K1E1) and Kennzahlen published for other
Jobcenters, the Länder and Germany (``peer_figure``, for the comparison on the Integration page).

Both go through the same machinery as every table (``checking``, ``tabular``, ``templates``):
the specs here are added to ``tables.TABLES``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from data_access.models import BenefitAmount, BenefitSpell, PeerFigure
from data_access.periods import month_end, month_index, month_start
from teilhabe.exchange.basics import LOOKUP_CHUNK, _chunks
from teilhabe.exchange.specs import ColumnSpec, TableSpec, _client_ref
from teilhabe.peer_codes import GERMANY_KEY, KENNZAHLEN, LAENDER, LAND_SYNONYMS

if TYPE_CHECKING:
    from teilhabe.exchange.checking import _Checked, _Row

MONTH_PATTERNS = (
    (re.compile(r"(\d{4})-(\d{1,2})"), (1, 2)),  # 2013-09
    (re.compile(r"(\d{1,2})[./](\d{4})"), (2, 1)),  # 09.2013, 9/2013
    (re.compile(r"(\d{4})(\d{2})"), (1, 2)),  # 201309 (the BA's Berichtsmonat)
    (re.compile(r"(\d{4})-(\d{1,2})-\d{1,2}"), (1, 2)),  # a day: its month
    (re.compile(r"\d{1,2}\.(\d{1,2})\.(\d{4})"), (2, 1)),
)
MONTH_MESSAGE = "Der Monat ist nicht lesbar (erwartet MM.JJJJ oder JJJJ-MM, z. B. 09.2013)."
CENTS_PER_EURO = 100
MAX_MONTHLY_EUROS = 100_000.0


def parse_month_text(text: str) -> int | None:
    """The month index of ``2013-09``, ``09.2013``, ``9/2013``, ``201309`` or a date of the
    month; None when the text is none of these or no real month."""
    value = text.strip()
    for pattern, (year_group, month_group) in MONTH_PATTERNS:
        match = pattern.fullmatch(value)
        if match is None:
            continue
        year, month = int(match[year_group]), int(match[month_group])
        if 1 <= month <= 12 and 1950 <= year <= 2099:
            return year * 12 + month - 1
        return None
    return None


def _month_column(example: str) -> ColumnSpec:
    return ColumnSpec(
        "month",
        "Monat",
        required=True,
        aliases=("month", "berichtsmonat", "monat", "stichtag", "jahr monat"),
        example=example,
        note="MM.JJJJ oder JJJJ-MM (auch JJJJMM wie in den Tabellen der BA).",
    )


def month_of_row(checked: _Checked, row: _Row) -> None:
    """The month column becomes a month index; unreadable or future months are refused."""
    text = row.values.get("month")
    if not isinstance(text, str):
        return
    month = parse_month_text(text)
    if month is None:
        checked.problem(row, "month", MONTH_MESSAGE)
    elif month > month_index(dt.date.today()):
        checked.problem(row, "month", "Der Monat liegt in der Zukunft.")
    else:
        row.values["month"] = month


def amounts_in_cents(checked: _Checked, row: _Row) -> None:
    """Euros become whole cents; a row needs at least one of the two amounts."""
    present = [name for name in AMOUNT_COLUMNS if name in row.values]
    for name in present:
        euros = row.values[name]
        if isinstance(euros, float):
            row.values[name] = round(euros * CENTS_PER_EURO)
    if present and all(row.values[name] is None for name in present):
        checked.problem(
            row,
            present[0],
            "Mindestens einer der Beträge (Lebensunterhalt oder Unterkunft) ist nötig.",
            value="",
        )


def amount_within_spell(connection: Connection, checked: _Checked) -> None:
    """A month of amounts lies within one of the person's benefit spells (in the database)."""
    rows = [r for r in checked.rows if r.ok and isinstance(r.values.get("month"), int)]
    clients = sorted({str(r.values["client_id"]) for r in rows if r.values.get("client_id")})
    spells: dict[str, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for chunk in _chunks(clients, LOOKUP_CHUNK):
        statement = select(
            BenefitSpell.client_id, BenefitSpell.start_date, BenefitSpell.end_date
        ).where(BenefitSpell.client_id.in_(chunk))
        for client, start, end in connection.execute(statement):
            spells[client].append((start, end))
    for row in rows:
        month = int(row.values["month"])  # type: ignore[call-overload]  # an int, see above
        first, last = month_start(month), month_end(month)
        if not any(
            start <= last and (end is None or end >= first)
            for start, end in spells.get(str(row.values.get("client_id")), [])
        ):
            checked.problem(
                row,
                "month",
                "In diesem Monat hat die Person keinen Leistungszeitraum (zuerst die "
                "Leistungszeiträume importieren).",
            )


def peer_level(checked: _Checked, row: _Row) -> None:
    """Germany (``DE``) and a Land (its abbreviation) are aggregates; any other key is a
    Jobcenter and needs its Vergleichstyp and Land."""
    key = row.values.get("jobcenter_key")
    if not isinstance(key, str):
        return
    upper = key.strip().upper()
    if upper == GERMANY_KEY:
        row.values["jobcenter_key"] = upper
        row.values["land"] = None
        row.values["comparison_type"] = None
        return
    if upper in LAENDER:
        row.values["jobcenter_key"] = upper
        if row.values.get("land") not in (None, upper):
            checked.problem(
                row, "land", f"Die Zeile des Landes {upper} muss auch als Land {upper} gelten."
            )
        row.values["land"] = upper
        row.values["comparison_type"] = None
        return
    for name in ("comparison_type", "land"):
        if row.values.get(name) is None and row.raw.get(name) is None:  # not a wrong value
            checked.problem(
                row,
                name,
                "Für ein Jobcenter ist dieses Feld nötig (nur die Zeilen für Deutschland, "
                f"Schlüssel {GERMANY_KEY}, und für die Länder, z. B. BW, bleiben leer).",
                value="",
            )


AMOUNT_COLUMNS = ("living_costs_cents", "housing_costs_cents")

BENEFIT_AMOUNT = TableSpec(
    "benefit_amount",
    "Leistungsbeträge",
    BenefitAmount,
    ("client_id", "month"),
    (
        _client_ref(),
        _month_column("09.2013"),
        ColumnSpec(
            "living_costs_cents",
            "Lebensunterhalt (Euro)",
            "number",
            aliases=(
                "living_costs",
                "leistungen zum lebensunterhalt",
                "lebensunterhalt",
                "regelbedarf",
                "llu",
            ),
            low=0.0,
            high=MAX_MONTHLY_EUROS,
            example=563.0,
            note="Leistungen zum Lebensunterhalt des Monats in Euro (ohne Unterkunft und "
            "Heizung), Dezimalkomma oder -punkt; leer: nicht geliefert.",
        ),
        ColumnSpec(
            "housing_costs_cents",
            "Unterkunft (Euro)",
            "number",
            aliases=(
                "housing_costs",
                "kosten der unterkunft",
                "kosten der unterkunft und heizung",
                "unterkunft",
                "kdu",
            ),
            low=0.0,
            high=MAX_MONTHLY_EUROS,
            example=412.5,
            note="Kosten der Unterkunft und Heizung des Monats in Euro; leer: nicht geliefert.",
        ),
    ),
    personal=True,
    description="Monatliche Leistungsbeträge je Person (optional; für K1 und K1E1).",
    row_checks=(month_of_row, amounts_in_cents),
    file_checks=(amount_within_spell,),
)

PEER_FIGURE = TableSpec(
    "peer_figure",
    "Vergleichswerte",
    PeerFigure,
    ("jobcenter_key", "month", "code"),
    (
        ColumnSpec(
            "jobcenter_key",
            "Jobcenter-Schlüssel",
            required=True,
            aliases=("jobcenter_key", "jobcenter id", "jc schlüssel", "regionalschlüssel", "jc"),
            example="00000",
            note=f"Schlüssel des Jobcenters; {GERMANY_KEY} für Deutschland, das Länderkürzel "
            "(z. B. BW) für ein Land.",
        ),
        ColumnSpec(
            "jobcenter_name",
            "Jobcenter",
            required=True,
            aliases=("jobcenter_name", "name", "jobcenter name", "region"),
            example="Jobcenter Musterkreis",
        ),
        ColumnSpec(
            "comparison_type",
            "Vergleichstyp",
            aliases=("comparison_type", "vergleichstyp", "typ", "vergleichsgruppe"),
            example="IIIb",
            note="Vergleichstyp des Jobcenters (z. B. IIIb); leer bei Deutschland und Ländern.",
        ),
        ColumnSpec(
            "land",
            "Land",
            "code",
            aliases=("land", "bundesland", "länderkennung"),
            codes=LAENDER,
            synonyms=LAND_SYNONYMS,
            example="BW",
            note="Kürzel (BW), Schlüssel (08) oder Name des Landes.",
        ),
        _month_column("2013-09"),
        ColumnSpec(
            "code",
            "Kennzahl",
            "code",
            required=True,
            aliases=("code", "kennzahl", "kennzahl code", "kz"),
            codes=KENNZAHLEN,
            example="K2",
        ),
        ColumnSpec(
            "value",
            "Wert",
            "number",
            required=True,
            aliases=("value", "wert", "kennzahlwert", "prozent"),
            low=-1000.0,
            high=1000.0,
            example=24.3,
            note="Der veröffentlichte Wert in Prozent, Dezimalkomma oder -punkt.",
        ),
        ColumnSpec(
            "synthetic",
            "Synthetisch",
            "boolean",
            aliases=("synthetic", "synthetisch", "erfunden"),
            default=False,
            example=True,  # the template's example row is invented
            note="ja: erfundene Werte (Demo); sie werden als synthetisch gekennzeichnet "
            "(leer: nein).",
        ),
    ),
    description="Veröffentlichte Kennzahlen nach § 48a SGB II anderer Jobcenter, der Länder "
    "und Deutschlands (sgb2.info), für den Vergleich.",
    row_checks=(month_of_row, peer_level),
)

KENNZAHL_TABLES = (BENEFIT_AMOUNT, PEER_FIGURE)
