"""Definitions shown next to every figure (German), defined once for the UI and the exports."""

from __future__ import annotations

# key -> (term, definition); SHORT_LABELS hold the terms as they fit on a KPI card (also on a
# slide with four cards in a row); the card's help gives the full term and its definition.
GLOSSARY: dict[str, tuple[str, str]] = {
    "protection": (
        "Zufallsüberlagerung (Geheimhaltung)",
        "Jede Fallzahl wird geringfügig verändert (höchstens um 2), und zwar für dieselbe "
        "Personengruppe immer gleich, auf jeder Seite, in jeder Auswahl und in jeder Datei. "
        "Die Werte 1 und 2 erscheinen nie, 0 bleibt 0; Teilsummen ergeben daher nicht immer "
        "genau die Summe. Quoten beruhen auf den veränderten Zahlen und erscheinen erst ab 10 "
        "Personen im Nenner (sonst „–“, zu kleine Gruppe).",
    ),
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
    "integration_rate": (
        "Integrationsquote (K2)",
        "Integrationen der letzten 12 Monate je durchschnittlichem ELB-Bestand dieser 12 Monate, "
        "in Prozent. Eine Integration ist die Aufnahme einer sozialversicherungspflichtigen "
        "Beschäftigung, einer voll qualifizierenden Ausbildung oder einer Selbständigkeit; "
        "höchstens eine je Person und Monat.",
    ),
    "continuity_rate": (
        "Kontinuierliche Beschäftigung nach Integration (K2E3)",
        "Anteil der Integrationen im 12-Monats-Zeitraum, der zwölf Monate vor dem Stichtag endet, "
        "nach denen die Person zwölf Monate später noch beschäftigt war.",
    ),
    "integration_rate_single_parents": (
        "Integrationsquote der Alleinerziehenden (K2E4)",
        "Integrationsquote (K2) für erwerbsfähige Leistungsberechtigte, die alleinerziehend sind.",
    ),
    "lzb_change": (
        "Veränderung des LZB-Bestands (K3)",
        "LZB-Bestand am Stichtag im Vergleich zum Bestand zwölf Monate zuvor, in Prozent.",
    ),
    "integration_rate_lzb": (
        "Integrationsquote der LZB (K3E1)",
        "Integrationen von LZB in den letzten 12 Monaten je durchschnittlichem LZB-Bestand.",
    ),
    "activation_rate_lzb": (
        "Aktivierungsquote der LZB (K3E2)",
        "Anteil der LZB, die am Stichtag an einer aktiven arbeitsmarktpolitischen Maßnahme "
        "teilnehmen.",
    ),
    "lzb_entry_rate": (
        "Durchschnittliche Zugangsrate der LZB (K3E3)",
        "Zugänge in den LZB-Bestand in den letzten 12 Monaten je Summe der LZB-Bestände am Ende "
        "des jeweiligen Vormonats (die 12 Monate vor dem Stichtag), in Prozent: der mittlere "
        "monatliche Anteil der neu hinzugekommenen LZB am Bestand des Vormonats. Ein Zugang ist "
        "eine Person, die am Monatsende LZB ist und es am Ende des Vormonats nicht war.",
    ),
    "lzb_exit_rate": (
        "Durchschnittliche Abgangsrate der LZB (K3E4)",
        "Abgänge aus dem LZB-Bestand in den letzten 12 Monaten je Summe der LZB-Bestände am Ende "
        "des jeweiligen Vormonats, in Prozent. Ein Abgang ist eine Person, die am Ende des "
        "Vormonats LZB war und es am Monatsende nicht mehr ist (sie zählt mit den Merkmalen "
        "ihres letzten Monats im Bestand).",
    ),
    "benefit_need": (
        "Hilfebedürftigkeit (K1)",
        "K1 (Veränderung der Summe der Leistungen zum Lebensunterhalt) und K1E1 (Veränderung der "
        "Leistungen für Unterkunft und Heizung) brauchen die Leistungsbeträge je Monat; "
        "K1E2 bis K1E4 beruhen auf den Leistungszeiträumen.",
    ),
    "elb_change": (
        "Veränderung des ELB-Bestands (K1E2)",
        "ELB-Bestand am Stichtag im Vergleich zum Bestand zwölf Monate zuvor, in Prozent.",
    ),
    "elb_entry_rate": (
        "Durchschnittliche Zugangsrate der ELB (K1E3)",
        "Zugänge in den ELB-Bestand in den letzten 12 Monaten je Summe der ELB-Bestände am Ende "
        "des jeweiligen Vormonats (die 12 Monate vor dem Stichtag), in Prozent: der mittlere "
        "monatliche Anteil der neu hinzugekommenen ELB am Bestand des Vormonats. Ein Zugang ist "
        "eine Person, die am Monatsende Leistungen bezieht und am Ende des Vormonats nicht; ein "
        "nahtlos anschließender neuer Leistungszeitraum ist kein Zugang.",
    ),
    "elb_exit_rate": (
        "Durchschnittliche Abgangsrate der ELB (K1E4)",
        "Abgänge aus dem ELB-Bestand in den letzten 12 Monaten je Summe der ELB-Bestände am Ende "
        "des jeweiligen Vormonats, in Prozent. Ein Abgang ist eine Person, die am Ende des "
        "Vormonats Leistungen bezog und am Monatsende nicht mehr (sie zählt mit den Merkmalen "
        "ihres letzten Monats im Bestand). Bestand am Monatsende = Bestand des Vormonats + "
        "Zugänge − Abgänge. Wie in den veröffentlichten Kennzahlen: Summe der Abgänge durch "
        "Summe der Vormonatsbestände, nicht Mittel der zwölf Monatsquoten.",
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
    "barrier_prevalence": (
        "Verbreitung eines Hemmnisses",
        "Zahl der ELB (bzw. LZB) der gewählten Gruppe, bei denen das Hemmnis am Stichtag erfasst "
        "ist (von der Erfassung bis zum Tag vor der Erledigung), und ihr Anteil an allen ELB "
        "(bzw. LZB) der Gruppe. Eine Person kann mehrere Hemmnisse haben; die Anteile summieren "
        "sich daher nicht zu 100 %.",
    ),
    "barrier_co_occurrence": (
        "Gemeinsames Auftreten",
        "Anteil der ELB der gewählten Gruppe, bei denen am Stichtag beide Hemmnisse erfasst sind. "
        "Auf der Diagonale steht die Verbreitung des einzelnen Hemmnisses.",
    ),
    "barrier_count": (
        "Zahl der Hemmnisse",
        "Wie viele Hemmnisse bei einer Person im jeweiligen Monat erfasst sind.",
    ),
    "barrier_group": (
        "Gruppe der gewählten Hemmnisse",
        "Personen, bei denen im jeweiligen Monat mindestens eines (bzw. alle) der in der "
        "Seitenleiste gewählten Hemmnisse erfasst sind; „alle anderen“ sind die übrigen Personen "
        "mit denselben sonstigen Filtern.",
    ),
    "referral_outcome": (
        "Ergebnis nach Zuweisung",
        "Zuweisungen von Personen mit dem Hemmnis zu einem Angebot, das dieses Hemmnis adressiert. "
        "Als Ergebnis zählt eine Integration innerhalb von 12 Monaten nach Beginn der Zuweisung; "
        "betrachtet werden die Zuweisungen, die 13 bis 24 Monate vor dem Stichtag begannen, damit "
        "die 12 Monate vergangen sind.",
    ),
    "reach": (
        "Reichweite",
        "Zahl der Personen, die in den 12 Monaten bis zum Stichtag einem Träger (bzw. einer "
        "Leistungsart) zugewiesen wurden; jede Person zählt je Träger einmal.",
    ),
    "barrier_coverage": (
        "Abdeckung eines Hemmnisses",
        "Von den ELB mit dem Hemmnis am Stichtag der Anteil, der in den 12 Monaten bis zum "
        "Stichtag einem Angebot zugewiesen wurde, das dieses Hemmnis adressiert.",
    ),
    "coverage_gap": (
        "Versorgungslücke",
        "Eine Gemeinde, in der ELB mit dem Hemmnis leben, ohne dass ein am Stichtag aktives "
        "passendes Angebot innerhalb der gewählten Entfernung (Luftlinie ab dem Ortsmittelpunkt) "
        "liegt.",
    ),
    "benefits_living_change": (
        "Veränderung der Leistungen zum Lebensunterhalt (K1)",
        "Summe der Leistungen zum Lebensunterhalt (ohne Unterkunft und Heizung) im Monat des "
        "Stichtags im Vergleich zur Summe im selben Monat ein Jahr zuvor, in Prozent. Aus den "
        "importierten monatlichen Leistungsbeträgen; gilt immer für das ganze Jobcenter (die "
        "Filter wirken hier nicht). Geschützt: Die Summe eines Monats erscheint nur, wenn die "
        "(überlagerte) Zahl der Personen mit einem Betrag mindestens die Mindestgröße für Quoten "
        "erreicht, und dann auf volle 1.000 € gerundet; die Veränderung wird aus den gerundeten "
        "Summen gebildet.",
    ),
    "benefits_housing_change": (
        "Veränderung der Leistungen für Unterkunft und Heizung (K1E1)",
        "Wie K1 für die Kosten der Unterkunft und Heizung: Summe im Monat des Stichtags im "
        "Vergleich zum selben Monat ein Jahr zuvor, in Prozent; ganzes Jobcenter, gleich "
        "geschützt (Mindestzahl an Personen, Summen auf 1.000 € gerundet).",
    ),
    "peer_comparison": (
        "Vergleich mit anderen Jobcentern",
        "Das eigene Jobcenter (seine geschützten Werte, ganzes Jobcenter ohne Filter) neben den "
        "veröffentlichten Kennzahlen nach § 48a SGB II der Jobcenter desselben Vergleichstyps "
        "(Mittelwert der Jobcenter, Spannweite vom kleinsten bis zum größten Wert), des Landes "
        "und Deutschlands, wie sie auf sgb2.info veröffentlicht sind (importierte "
        "Vergleichswerte). Der Vergleichstyp ordnet Jobcenter mit ähnlichen Bedingungen des "
        "Arbeitsmarkts einander zu.",
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
    "integration_rate": "Integrationsquote (K2)",
    "continuity_rate": "Kontinuität (K2E3)",
    "integration_rate_single_parents": "Alleinerziehende (K2E4)",
    "lzb_change": "Veränderung LZB (K3)",
    "integration_rate_lzb": "Integration LZB (K3E1)",
    "activation_rate_lzb": "Aktivierung LZB (K3E2)",
    "lzb_entry_rate": "Zugangsrate LZB (K3E3)",
    "lzb_exit_rate": "Abgangsrate LZB (K3E4)",
    "elb_change": "Veränderung ELB (K1E2)",
    "elb_entry_rate": "Zugangsrate ELB (K1E3)",
    "elb_exit_rate": "Abgangsrate ELB (K1E4)",
    "benefits_living_change": "Lebensunterhalt (K1)",
    "benefits_housing_change": "Unterkunft (K1E1)",
}


def term(key: str) -> str:
    return GLOSSARY[key][0]


def definition(key: str) -> str:
    return GLOSSARY[key][1]
