"""The code lists of the comparison with other Jobcenters: the Kennzahlen nach § 48a SGB II
(codes as the BMAS publishes them on sgb2.info), which of our figures each one is, and the
Länder (abbreviation, two-digit key and name).
"""

from __future__ import annotations

from teilhabe.definitions import LAENDER as LAND_NAMES
from teilhabe.definitions import LAND_ABBREVIATIONS

# code -> German name, in the order of the Verordnung
KENNZAHLEN: dict[str, str] = {
    "K1": "Veränderung der Summe der Leistungen zum Lebensunterhalt",
    "K1E1": "Veränderung der Summe der Leistungen für Unterkunft und Heizung",
    "K1E2": "Veränderung des Bestands an erwerbsfähigen Leistungsberechtigten",
    "K1E3": "Durchschnittliche Zugangsrate der erwerbsfähigen Leistungsberechtigten",
    "K1E4": "Durchschnittliche Abgangsrate der erwerbsfähigen Leistungsberechtigten",
    "K2": "Integrationsquote",
    "K2E3": "Kontinuierliche Beschäftigung nach Integration",
    "K2E4": "Integrationsquote der Alleinerziehenden",
    "K3": "Veränderung des Bestands an Langzeitleistungsbeziehenden",
    "K3E1": "Integrationsquote der Langzeitleistungsbeziehenden",
    "K3E2": "Aktivierungsquote der Langzeitleistungsbeziehenden",
    "K3E3": "Durchschnittliche Zugangsrate der Langzeitleistungsbeziehenden",
    "K3E4": "Durchschnittliche Abgangsrate der Langzeitleistungsbeziehenden",
}

# code -> a name short enough for a chart panel on a phone
SHORT_NAMES: dict[str, str] = {
    "K1": "Leistungen zum Lebensunterhalt",
    "K1E1": "Leistungen für Unterkunft",
    "K1E2": "Veränderung ELB-Bestand",
    "K1E3": "Zugangsrate ELB",
    "K1E4": "Abgangsrate ELB",
    "K2": "Integrationsquote",
    "K2E3": "Kontinuierliche Beschäftigung",
    "K2E4": "Integration Alleinerziehende",
    "K3": "Veränderung LZB-Bestand",
    "K3E1": "Integrationsquote LZB",
    "K3E2": "Aktivierungsquote LZB",
    "K3E3": "Zugangsrate LZB",
    "K3E4": "Abgangsrate LZB",
}

# Kennzahl -> the key of our own figure (``figures.headline_figures`` and ``amounts``); the
# comparison shows a Kennzahl only where our figures have it
OWN_FIGURES: dict[str, str] = {
    "K1": "benefits_living_change",
    "K1E1": "benefits_housing_change",
    "K1E2": "elb_change",
    "K1E3": "elb_entry_rate",
    "K1E4": "elb_exit_rate",
    "K2": "integration_rate",
    "K2E3": "continuity_rate",
    "K2E4": "integration_rate_single_parents",
    "K3": "lzb_change",
    "K3E1": "integration_rate_lzb",
    "K3E2": "activation_rate_lzb",
    "K3E3": "lzb_entry_rate",
    "K3E4": "lzb_exit_rate",
}

GERMANY_KEY = "DE"
# abbreviation -> name, and key -> abbreviation, from the one registry of the Länder
LAENDER: dict[str, str] = {LAND_ABBREVIATIONS[key]: name for key, name in LAND_NAMES.items()}
LAND_KEYS: dict[str, str] = dict(LAND_ABBREVIATIONS)
LAND_SYNONYMS: dict[str, str] = {
    **LAND_KEYS,
    **{str(int(key)): code for key, code in LAND_KEYS.items()},  # 8 for 08
    "NRW": "NW",
}


def land_of_district(district_key: str) -> str | None:
    """The Land of a Kreis by the first two digits of its key (08135 -> BW)."""
    return LAND_KEYS.get(district_key[:2])
