"""The one report shape of every importer (table files, HSDS packages, boundary files) and its
one German rendering for the command line (``report_lines``) and the Daten page
(``ui.imports.counts_text``), on hand-made reports."""

from __future__ import annotations

from teilhabe.exchange.boundaries import BoundaryImportReport
from teilhabe.exchange.core import TableImportReport
from teilhabe.exchange.hsds.importing import Change, HsdsImportReport
from teilhabe.exchange.hsds.package import hsds_problem
from teilhabe.exchange.report import (
    DRY_RUN_LINE,
    Counts,
    ImportReport,
    Problem,
    failure_line,
    notes_lines,
    report_lines,
)
from ui.imports import counts_text

# --- Problem and counts ------------------------------------------------------------------------


def test_a_problem_names_file_row_field_and_value() -> None:
    assert str(Problem("a.csv", 3, "Beginn", "31.02.2013", "Kein Datum.")) == (
        "a.csv, Zeile 3, Spalte Beginn, Wert „31.02.2013“: Kein Datum."
    )
    assert str(hsds_problem("service.csv", 2, "status", "x", "Unbekannt.")) == (
        "service.csv, Zeile 2, Feld status, Wert „x“: Unbekannt."
    )
    assert str(Problem("a.csv", None, None, None, "Die Datei ist leer.")) == (
        "a.csv: Die Datei ist leer."
    )
    assert str(Problem("", None, None, None, "Nur die Meldung.")) == "Nur die Meldung."
    # a long or multi-line value is shortened to one line of 80 characters
    shown = str(Problem("a.csv", 2, "Name", "x\n" + "y" * 100, "Zu lang."))
    assert shown == f"a.csv, Zeile 2, Spalte Name, Wert „x {'y' * 77}…“: Zu lang."


def test_counts_say_updated_or_removed() -> None:
    assert Counts(1_200, 3, 0).text() == "1.200 neu, 3 geändert, 0 unverändert"
    assert Counts(1, 0, 11, removed=2).text() == "1 neu, 2 entfernt, 11 unverändert"
    report = ImportReport(counts={"a": Counts(1, 2, 3), "b": Counts(4, 0, 5, removed=6)})
    assert (report.added, report.updated, report.unchanged) == (5, 2, 8)


def test_failure_line() -> None:
    assert failure_line("Die Datei x.csv", 1) == (
        "Die Datei x.csv wurde nicht importiert (1 Problem); die Datenbank ist unverändert."
    )
    assert failure_line("Das HSDS-Paket p", 2_000) == (
        "Das HSDS-Paket p wurde nicht importiert (2.000 Probleme); die Datenbank ist unverändert."
    )


def test_notes_one_or_several_with_a_limit() -> None:
    assert notes_lines([]) == []
    assert notes_lines(["Eins."]) == ["Hinweis: Eins."]
    assert notes_lines(["a", "b", "c"], limit=2) == [
        "Hinweise (3):",
        "  - a",
        "  - b",
        "  … und 1 weitere Hinweise",
    ]


# --- One rendering for every kind of import ----------------------------------------------------


def table_report(**changes: object) -> TableImportReport:
    report = TableImportReport("client", "personen.csv", "0" * 64, "CSV", rows=2)
    report.counts["client"] = Counts(2, 0, 0)
    for name, value in changes.items():
        setattr(report, name, value)
    return report


def test_a_table_report_in_every_outcome() -> None:
    checked = "personen.csv (CSV) geprüft: 2 Zeilen für Personen, keine Probleme."
    counts = "Personen: 2 neu, 0 geändert, 0 unverändert."
    assert report_lines(table_report(dry_run=True, notes=["Spalte x ignoriert."])) == [
        checked,
        counts,
        "Hinweis: Spalte x ignoriert.",
        DRY_RUN_LINE,
    ]
    assert report_lines(table_report(changed=True, log_id=7, data_version="import-7")) == [
        checked,
        counts,
        "Importiert (Importprotokoll Nr. 7); neuer Datenstand import-7.",
    ]
    assert report_lines(table_report(log_id=8))[-1] == (
        "Nichts zu ändern: Die Datenbank war schon auf dem Stand der Datei (Importprotokoll Nr. 8)."
    )
    problems = [Problem("personen.csv", 2, "Geschlecht", "q", "Unbekannter Wert.")]
    assert report_lines(table_report(problems=problems)) == [
        "Die Datei personen.csv wurde nicht importiert (1 Problem); die Datenbank ist unverändert.",
        "  - personen.csv, Zeile 2, Spalte Geschlecht, Wert „q“: Unbekannter Wert.",
    ]


def test_an_hsds_report_lists_changes_kept_rows_and_warnings() -> None:
    report = HsdsImportReport(
        folder="paket",
        counts={
            "provider": Counts(1, 1, 18),
            "service_area": Counts(1, 0, 179, removed=1),
        },
        labels={"provider": "Anbieter", "service_area": "Versorgungsgebiete"},
        changes=[
            Change("provider", "P21", None, None, None),
            Change("provider", "P03", "name", "Alt", "Neu"),
            Change("service_area", "P01-S1", "municipality_ags", None, "08135010"),
            Change("service_area", "P01-S1", "municipality_ags", "08135019", None),
        ],
        not_in_package={"provider": ["P20"], "service": []},
        notes=["eins", "zwei"],
        changed=True,
        log_id=3,
        data_version="hsds-3",
    )
    assert report_lines(report, limit=3) == [
        "HSDS-Paket paket geprüft: keine Probleme.",
        "Anbieter: 1 neu, 1 geändert, 18 unverändert.",
        "Versorgungsgebiete: 1 neu, 1 entfernt, 179 unverändert.",
        "  neu: Anbieter P21",
        "  geändert: Anbieter P03: name „Alt“ → „Neu“",
        "  hinzu: Versorgungsgebiet der Leistung P01-S1: „08135010“",
        "  … und 1 weitere Änderungen",
        "Nicht im Paket und unverändert behalten: 1 Anbieter, 0 Leistungen.",
        "Hinweise (2):",
        "  - eins",
        "  - zwei",
        "Importiert (Importprotokoll Nr. 3); neuer Datenstand hsds-3.",
    ]
    report.changed = False
    assert report_lines(report)[-1] == (
        "Nichts zu ändern: Die Datenbank war schon auf dem Stand des Pakets "
        "(Importprotokoll Nr. 3)."
    )
    assert "  entfernt: Versorgungsgebiet der Leistung P01-S1: „08135019“" in report_lines(report)
    assert report.failure_line().startswith("Das HSDS-Paket paket wurde nicht importiert")


def test_a_boundary_report_names_skipped_renamed_and_missing_municipalities() -> None:
    report = BoundaryImportReport(
        file="/daten/vg250.gpkg",
        layer="VG250_GEM",
        source="BKG VG250 (vg250.gpkg)",
        counts={"municipality_boundary": Counts(2, 1, 0)},
        labels={"municipality_boundary": "Gemeindegrenzen"},
        imported_ags=["08135019", "08135020", "08135021"],
        skipped_ags=["08135099"],
        without_official_boundary=["08135025"],
        renamed=[["08135020", "Drittdorf", "Zweitort"]],
        changed=True,
        data_version="boundaries-1",
    )
    assert report_lines(report) == [
        "Gemeindegrenzen aus vg250.gpkg (Ebene VG250_GEM) übernommen: 3 Gemeinden.",
        "Übersprungen, weil nicht in der Datenbank: 1 Gemeinde (08135099).",
        "Gemeindename übernommen: 08135020 „Drittdorf“ heißt jetzt „Zweitort“.",
        "Gemeindegrenzen: 2 neu, 1 geändert, 0 unverändert.",
        "Noch ohne amtliche Grenze (Karte zeigt sie schematisch oder gar nicht): 1 Gemeinde "
        "(08135025).",
        "Übernommen; neue Datenversion boundaries-1 (eine laufende App zeigt die neuen Grenzen).",
    ]
    report.without_official_boundary, report.changed = [], False
    assert report_lines(report)[-2:] == [
        "Alle Gemeinden der Datenbank haben jetzt eine amtliche Grenze.",
        "Die Grenzen waren schon so gespeichert; nichts geändert.",
    ]


def test_the_daten_page_counts_of_one_or_several_tables() -> None:
    assert counts_text(table_report()) == "2 neu, 0 geändert, 0 unverändert"
    several = ImportReport(
        counts={"provider": Counts(1, 0, 2), "service_area": Counts(0, 0, 3, removed=1)},
        labels={"provider": "Anbieter"},
    )
    assert counts_text(several) == (
        "Anbieter: 1 neu, 0 geändert, 2 unverändert; service_area: 0 neu, 1 entfernt, 3 unverändert"
    )
