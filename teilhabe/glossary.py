"""Definitions shown next to every figure (German), defined once for the UI and the exports."""

from __future__ import annotations

# key -> (term, definition); SHORT_LABELS hold the terms as they fit on a KPI card.
GLOSSARY: dict[str, tuple[str, str]] = {
    "elb": (
        "Erwerbsfähige Leistungsberechtigte (ELB)",
        "Personen, die am Monatsende (Stichtag) Leistungen der Grundsicherung für Arbeitsuchende "
        "(SGB II) beziehen und erwerbsfähig sind.",
    ),
    "lzb": (
        "Langzeitleistungsbeziehende (LZB)",
        "ELB, die in mindestens 21 der letzten 24 Monate Leistungen bezogen haben "
        "(Kennzahl nach § 48a SGB II).",
    ),
    "lzb_4y_plus": (
        "LZB seit 4 Jahren und länger",
        "LZB, deren laufender Leistungsbezug am Stichtag vier Jahre oder länger andauert.",
    ),
    "lzb_duration": (
        "Dauer des laufenden Bezugs",
        "Abgeschlossene Monate seit Beginn des Leistungszeitraums, der den Stichtag umfasst; "
        "eingeteilt in unter 2 Jahre, 2 bis unter 4 Jahre und 4 Jahre und länger.",
    ),
    "providers": (
        "Träger und Behörden",
        "Organisationen im regionalen Netzwerk, die Leistungen für Leistungsberechtigte anbieten: "
        "Bildungsträger, Beratungsstellen, Wohlfahrtsverbände, Kammern und Behörden.",
    ),
    "network_events": (
        "Netzwerkveranstaltungen",
        "Konferenzen und Treffen des Netzwerks mit Zahl der Teilnehmenden und der beteiligten "
        "Träger und Behörden.",
    ),
    "as_of": (
        "Stichtag",
        "Der letzte Tag des gewählten Monats; Bestände zählen die Personen, die an diesem Tag "
        "Leistungen beziehen.",
    ),
}

SHORT_LABELS: dict[str, str] = {
    "elb": "ELB",
    "lzb": "LZB",
    "lzb_4y_plus": "LZB ≥ 4 Jahre",
    "providers": "Träger/Behörden",
}


def term(key: str) -> str:
    return GLOSSARY[key][0]


def definition(key: str) -> str:
    return GLOSSARY[key][1]
