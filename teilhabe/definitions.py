"""The one registry of labels and code lists: barriers, service categories, kinds, groups.

Codes are English identifiers; labels and explanations are German, shown in the UI. Every
ordered code list (age groups, duration bands, barrier-count bands) is defined here once, with
its labels in its order, and as a polars Enum (``*_ENUM``) so that sorting by it sorts in that
order. ``format_month`` is the one German month name of a month index. The Länder are named by
the first two digits of the official key (AGS, Kreisschlüssel): ``land_code``, ``land_name``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class BarrierInfo:
    code: str
    label: str
    description: str
    key_factor: str  # Schlüsselgröße of the 4-Phasen-Modell


BARRIERS: tuple[BarrierInfo, ...] = (
    BarrierInfo(
        "qualification",
        "Fehlende Qualifikation",
        "Kein Schul- oder Berufsabschluss, fehlende Berufserfahrung.",
        "Qualifikation",
    ),
    BarrierInfo(
        "language",
        "Sprachkenntnisse",
        "Deutschkenntnisse reichen für Arbeit oder Ausbildung noch nicht aus.",
        "Qualifikation",
    ),
    BarrierInfo(
        "health",
        "Gesundheit",
        "Körperliche Einschränkungen, die die Leistungsfähigkeit mindern.",
        "Leistungsfähigkeit",
    ),
    BarrierInfo(
        "mental_health",
        "Psychische Gesundheit",
        "Psychische Belastungen oder Erkrankungen.",
        "Leistungsfähigkeit",
    ),
    BarrierInfo(
        "addiction",
        "Sucht",
        "Abhängigkeit von Alkohol, Drogen, Medikamenten oder Glücksspiel.",
        "Leistungsfähigkeit",
    ),
    BarrierInfo(
        "debts",
        "Schulden",
        "Überschuldung, die eine Arbeitsaufnahme erschwert.",
        "Rahmenbedingungen",
    ),
    BarrierInfo(
        "family_care",
        "Kinderbetreuung / Pflege",
        "Betreuung von Kindern oder Pflege von Angehörigen.",
        "Rahmenbedingungen",
    ),
    BarrierInfo(
        "housing",
        "Wohnsituation",
        "Wohnungslosigkeit oder drohender Wohnungsverlust.",
        "Rahmenbedingungen",
    ),
    BarrierInfo(
        "mobility",
        "Mobilität",
        "Kein Führerschein oder Fahrzeug, schlechte Anbindung an den Nahverkehr.",
        "Rahmenbedingungen",
    ),
    BarrierInfo(
        "motivation",
        "Motivation",
        "Fehlende Motivation oder Orientierung, oft nach langer Arbeitslosigkeit.",
        "Motivation",
    ),
)
BARRIER_CODES: tuple[str, ...] = tuple(b.code for b in BARRIERS)


@dataclass(frozen=True)
class ServiceCategoryInfo:
    code: str
    label: str
    barriers: tuple[str, ...]


SERVICE_CATEGORIES: tuple[ServiceCategoryInfo, ...] = (
    ServiceCategoryInfo(
        "vocational_training", "Qualifizierung und Weiterbildung", ("qualification",)
    ),
    ServiceCategoryInfo("language_course", "Sprachkurs", ("language",)),
    ServiceCategoryInfo("health_support", "Gesundheitsförderung", ("health",)),
    ServiceCategoryInfo(
        "psychosocial_support", "Psychosoziale Betreuung", ("mental_health", "motivation")
    ),
    ServiceCategoryInfo("addiction_counselling", "Suchtberatung", ("addiction",)),
    ServiceCategoryInfo("debt_counselling", "Schuldnerberatung", ("debts",)),
    ServiceCategoryInfo("childcare", "Kinderbetreuung und Pflege", ("family_care",)),
    ServiceCategoryInfo("housing_support", "Wohnungshilfe", ("housing",)),
    ServiceCategoryInfo("mobility_support", "Mobilitätshilfe", ("mobility",)),
    ServiceCategoryInfo("activation", "Aktivierung und Coaching", ("motivation",)),
)

PROVIDER_KINDS: dict[str, str] = {
    "education": "Bildungsträger",
    "counselling": "Beratungsstelle",
    "authority": "Behörde",
    "welfare": "Wohlfahrtsverband",
    "chamber": "Kammer",
}

SEXES: dict[str, str] = {"f": "weiblich", "m": "männlich", "d": "divers"}

INTEGRATION_KINDS: dict[str, str] = {
    "employment": "Sozialversicherungspflichtige Beschäftigung",
    "training": "Voll qualifizierende Ausbildung",
    "self_employment": "Selbständigkeit",
}

REFERRAL_STATUSES: dict[str, str] = {
    "planned": "geplant",
    "active": "laufend",
    "completed": "abgeschlossen",
    "cancelled": "abgebrochen",
}

BARRIER_BITS: dict[str, int] = {b.code: 1 << position for position, b in enumerate(BARRIERS)}

# The groups of a breakdown, in their order (codes -> German labels).
AGE_GROUPS: dict[str, str] = {
    "u25": "unter 25",
    "25_34": "25 bis unter 35",
    "35_44": "35 bis unter 45",
    "45_54": "45 bis unter 55",
    "55plus": "55 und älter",
}
# Duration of the current spell of receipt.
DURATION_BANDS: dict[str, str] = {
    "u2": "unter 2 Jahre",
    "2_4": "2 bis unter 4 Jahre",
    "4plus": "4 Jahre und länger",
}
# Number of barriers recorded in the month: short labels (breakdowns) and long ones (captions).
BARRIER_COUNTS: dict[str, str] = {
    "0": "keine",
    "1": "1",
    "2": "2",
    "3": "3",
    "4plus": "4 und mehr",
}
BARRIER_COUNT_PHRASES: dict[str, str] = {
    "0": "keine Hemmnisse",
    "1": "1 Hemmnis",
    "2": "2 Hemmnisse",
    "3": "3 Hemmnisse",
    "4plus": "4 und mehr Hemmnisse",
}
AGE_GROUP_CODES: tuple[str, ...] = tuple(AGE_GROUPS)
DURATION_CODES: tuple[str, ...] = tuple(DURATION_BANDS)
BARRIER_COUNT_CODES: tuple[str, ...] = tuple(BARRIER_COUNTS)
AGE_GROUP_ENUM = pl.Enum(AGE_GROUP_CODES)
DURATION_ENUM = pl.Enum(DURATION_CODES)
BARRIER_COUNT_ENUM = pl.Enum(BARRIER_COUNT_CODES)
GROUP_ENUMS: dict[str, pl.Enum] = {
    "age_group": AGE_GROUP_ENUM,
    "duration": DURATION_ENUM,
    "barrier_count": BARRIER_COUNT_ENUM,
}


def in_group_order(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """``frame`` sorted by the groups in ``column`` (age_group, duration or barrier_count, as
    codes) in the registry's order, not alphabetically; the column keeps its codes."""
    return frame.sort(pl.col(column).cast(pl.String).cast(GROUP_ENUMS[column]))


# The cube's LZB stock per duration band.
LZB_BAND_COLUMNS: dict[str, str] = {
    "u2": "lzb_under_2y",
    "2_4": "lzb_2_4y",
    "4plus": "lzb_4y_plus",
}

# The rates (percent), in the order they are shown, with the published count above them and the
# published count or mean stock below (``indicators.figures_from_base``); the entry and exit
# rates divide the 12-month count by 12 before dividing by the mean stock.
RATES: dict[str, tuple[str, str]] = {
    "integration_rate": ("integrations_12m", "elb_mean_12m"),
    "continuity_rate": ("continued_12m", "continuity_known_12m"),
    "integration_rate_single_parents": (
        "integrations_single_parent_12m",
        "elb_single_parent_mean_12m",
    ),
    "lzb_change": ("lzb", "lzb_year_before"),
    "integration_rate_lzb": ("integrations_lzb_12m", "lzb_mean_12m"),
    "activation_rate_lzb": ("lzb_measure", "lzb"),
    "elb_change": ("elb", "elb_year_before"),
    "elb_entry_rate": ("elb_entries_12m", "elb_prev_mean_12m"),
    "elb_exit_rate": ("elb_exits_12m", "elb_prev_mean_12m"),
    "lzb_entry_rate": ("lzb_entries_12m", "lzb_prev_mean_12m"),
    "lzb_exit_rate": ("lzb_exits_12m", "lzb_prev_mean_12m"),
}
# The § 48a families as shown (K1 from the spells, K2, K3), and the rates where less is better.
K1_RATES = ("elb_change", "elb_entry_rate", "elb_exit_rate")
K2_RATES = ("integration_rate", "continuity_rate", "integration_rate_single_parents")
K3_RATES = (
    "lzb_change",
    "integration_rate_lzb",
    "activation_rate_lzb",
    "lzb_entry_rate",
    "lzb_exit_rate",
)
# The § 48a code and name of every rate, in the order of the Verordnung (K1 to K3).
KENNZAHLEN: dict[str, tuple[str, str]] = {
    "elb_change": ("K1E2", "Veränderung des ELB-Bestands ggü. Vorjahresmonat"),
    "elb_entry_rate": ("K1E3", "Durchschnittliche Zugangsrate der ELB"),
    "elb_exit_rate": ("K1E4", "Durchschnittliche Abgangsrate der ELB"),
    "integration_rate": ("K2", "Integrationsquote"),
    "continuity_rate": ("K2E3", "Kontinuierliche Beschäftigung nach Integration"),
    "integration_rate_single_parents": ("K2E4", "Integrationsquote der Alleinerziehenden"),
    "lzb_change": ("K3", "Veränderung des LZB-Bestands ggü. Vorjahresmonat"),
    "integration_rate_lzb": ("K3E1", "Integrationsquote der LZB"),
    "activation_rate_lzb": ("K3E2", "Aktivierungsquote der LZB"),
    "lzb_entry_rate": ("K3E3", "Durchschnittliche Zugangsrate der LZB"),
    "lzb_exit_rate": ("K3E4", "Durchschnittliche Abgangsrate der LZB"),
}
LOWER_IS_BETTER = frozenset({"elb_change", "elb_entry_rate", "lzb_change", "lzb_entry_rate"})

# The Länder by the first two digits of the official keys (Amtlicher Gemeindeschlüssel).
LAENDER: dict[str, str] = {
    "01": "Schleswig-Holstein",
    "02": "Hamburg",
    "03": "Niedersachsen",
    "04": "Bremen",
    "05": "Nordrhein-Westfalen",
    "06": "Hessen",
    "07": "Rheinland-Pfalz",
    "08": "Baden-Württemberg",
    "09": "Bayern",
    "10": "Saarland",
    "11": "Berlin",
    "12": "Brandenburg",
    "13": "Mecklenburg-Vorpommern",
    "14": "Sachsen",
    "15": "Sachsen-Anhalt",
    "16": "Thüringen",
}
# The Länder's usual abbreviations (as in the published tables of the BA and the BMAS), same keys.
LAND_ABBREVIATIONS: dict[str, str] = dict(
    zip(
        LAENDER,
        [
            "SH",
            "HH",
            "NI",
            "HB",
            "NW",
            "HE",
            "RP",
            "BW",
            "BY",
            "SL",
            "BE",
            "BB",
            "MV",
            "SN",
            "ST",
            "TH",
        ],
        strict=True,
    )
)
LAND_DIGITS = 2  # the Land: the first two digits of an AGS or district key
DISTRICT_DIGITS = 5  # the Kreis (and its Jobcenter): the first five digits of an AGS


def land_code(key: str) -> str:
    """The Land of an AGS or district key: its first two digits."""
    return key[:LAND_DIGITS]


def land_name(code: str) -> str:
    """The German name of a Land code; a code that is no Land (the demo's "99") as "Land 99"."""
    return LAENDER.get(code, f"Land {code}")


MONTH_NAMES: tuple[str, ...] = (
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
)  # fmt: skip


def format_month(index: int) -> str:
    """A month index as ``September 2013``."""
    return f"{MONTH_NAMES[index % 12]} {index // 12}"


def age_group_codes(age: pl.Expr) -> pl.Expr:
    """The age group (``AGE_GROUP_CODES``) of an age in years."""
    return (
        pl.when(age < 25)
        .then(pl.lit("u25"))
        .when(age < 35)
        .then(pl.lit("25_34"))
        .when(age < 45)
        .then(pl.lit("35_44"))
        .when(age < 55)
        .then(pl.lit("45_54"))
        .otherwise(pl.lit("55plus"))
    )
