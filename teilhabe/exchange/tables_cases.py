"""The importable tables of cases: persons, benefit spells, barrier assessments, referrals
and integrations (client-level data)."""

from __future__ import annotations

import datetime as dt

from data_access.models import (
    BarrierAssessment,
    BenefitSpell,
    Client,
    Integration,
    Referral,
)
from teilhabe.definitions import (
    INTEGRATION_KINDS,
    REFERRAL_STATUSES,
    SEXES,
)
from teilhabe.exchange import rules
from teilhabe.exchange.specs import (
    INTEGRATION_SYNONYMS,
    SEX_SYNONYMS,
    ColumnSpec,
    TableSpec,
    _ags,
    _client_ref,
    _this_year,
)

STATUS_SYNONYMS = {"aktiv": "active", "beendet": "completed", "abbruch": "cancelled"}


CLIENT = TableSpec(
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
)


BENEFIT_SPELL = TableSpec(
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
    planner=rules.plan_spells,
)


BARRIER_ASSESSMENT = TableSpec(
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
)


REFERRAL = TableSpec(
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
)


INTEGRATION = TableSpec(
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
    duplicate=rules.integration_duplicate,
)
