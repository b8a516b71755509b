"""The one shape of an import's outcome, shared by every importer (a table file, an HSDS package,
a boundary file): a problem in a file (``Problem``), the counts of one table (``Counts``), the
report (``ImportReport``) and its German rendering for the command line (``report_lines``).
The Daten page renders the same report (``ui.imports.show_check``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from teilhabe.exchange.basics import _count, _shorten

NOTES_SHOWN = 100  # the command line lists at most this many notes (unless told otherwise)
DRY_RUN_LINE = "Probelauf (--dry-run): Die Datenbank wurde nicht verändert."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (file, row, field), the value, and what, in German."""

    file: str
    row: int | None  # CSV/Excel: the header is row 1, the first data row 2; Parquet: from 1
    field: str | None  # the column's header as in the file (or the template's), an HSDS field
    value: str | None
    message: str
    field_word: str = "Spalte"  # how a message names the field: "Spalte" or (HSDS) "Feld"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", Zeile {self.row}"
        if self.field is not None:
            where += f", {self.field_word} {self.field}"
        if self.value is not None:
            where += f", Wert „{_shorten(self.value)}“"
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class Counts:
    """What an import does to one table: rows added, updated and unchanged; a link table (the
    barriers of a category, say) has rows ``removed`` instead of updated."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int | None = None

    def text(self) -> str:
        """``2 neu, 0 geändert, 5 unverändert`` (or ``… 1 entfernt …`` for a link table)."""
        middle = (
            f"{_count(self.updated)} geändert"
            if self.removed is None
            else f"{_count(self.removed)} entfernt"
        )
        return f"{_count(self.added)} neu, {middle}, {_count(self.unchanged)} unverändert"


def failure_line(subject: str, problems: int) -> str:
    """``<subject> wurde nicht importiert (3 Probleme); die Datenbank ist unverändert.``"""
    count = "1 Problem" if problems == 1 else f"{_count(problems)} Probleme"
    return f"{subject} wurde nicht importiert ({count}); die Datenbank ist unverändert."


@dataclass(kw_only=True)
class ImportReport:
    """What an import found and did. ``problems`` non-empty: nothing was written.

    ``counts`` maps a table to its counts, in the order they are reported; ``labels`` gives a
    table's German name. The kinds of import (``TableImportReport``, the HSDS and boundary
    reports) add what only they know and the lines that say it (``opening``, ``details``).
    """

    dry_run: bool = False
    counts: dict[str, Counts] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changed: bool = False  # whether the import changed the data (never on a dry run)
    data_version: str | None = None
    log_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def added(self) -> int:
        return sum(c.added for c in self.counts.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.counts.values())

    @property
    def unchanged(self) -> int:
        return sum(c.unchanged for c in self.counts.values())

    @property
    def subject(self) -> str:
        """What was imported, as the subject of a German sentence (``Die Datei x.csv``)."""
        return "Die Datei"

    def failure_line(self) -> str:
        return failure_line(self.subject, len(self.problems))

    def opening(self) -> list[str]:
        """The lines before the counts."""
        return []

    def details(self, limit: int | None) -> list[str]:
        """The lines after the counts (at most about ``limit`` listed items)."""
        return []

    def outcome(self) -> str:
        """The last line: what happened to the database."""
        if self.dry_run:
            return DRY_RUN_LINE
        if self.changed:
            return (
                f"Importiert (Importprotokoll Nr. {self.log_id}); neuer Datenstand "
                f"{self.data_version}."
            )
        return (
            f"Nichts zu ändern: Die Datenbank war schon auf dem Stand der Datei "
            f"(Importprotokoll Nr. {self.log_id})."
        )


def counts_lines(report: ImportReport) -> list[str]:
    """One line per table: ``Personen: 1 neu, 0 geändert, 0 unverändert.``"""
    return [
        f"{report.labels.get(table, table)}: {counts.text()}."
        for table, counts in report.counts.items()
    ]


def notes_lines(notes: list[str], limit: int | None = NOTES_SHOWN) -> list[str]:
    """One note as ``Hinweis: …``; several as ``Hinweise (n):`` and a list (at most ``limit``)."""
    if len(notes) == 1:
        return [f"Hinweis: {notes[0]}"]
    if not notes:
        return []
    lines = [f"Hinweise ({_count(len(notes))}):", *(f"  - {note}" for note in notes[:limit])]
    if limit is not None and len(notes) > limit:
        lines.append(f"  … und {_count(len(notes) - limit)} weitere Hinweise")
    return lines


def report_lines(report: ImportReport, *, limit: int | None = NOTES_SHOWN) -> list[str]:
    """The German report of any import, as the command line prints it: on problems the failure
    line and every problem; else the opening, the counts per table, the details, the notes and
    what happened to the database."""
    if report.problems:
        return [report.failure_line(), *(f"  - {p}" for p in report.problems)]
    return [
        *report.opening(),
        *counts_lines(report),
        *report.details(limit),
        *notes_lines(report.notes, limit),
        report.outcome(),
    ]
