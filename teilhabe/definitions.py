"""Catalogues shared by every Jobcenter: barriers, service categories, kinds and codes.

Codes are English identifiers; labels and explanations are German, shown in the UI.
"""

from __future__ import annotations

from dataclasses import dataclass


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
