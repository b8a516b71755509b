"""A file as read (``SourceFile``) and the ``Limits`` a file must keep, with their messages."""

from __future__ import annotations

from dataclasses import dataclass, field

from teilhabe.exchange.basics import _count
from teilhabe.exchange.report import Problem

# --- Reading files ---------------------------------------------------------------------------


@dataclass
class SourceFile:
    """A file read as text cells: its header and its data rows with their row numbers."""

    name: str
    sha256: str
    format: str  # "CSV", "Excel", "Parquet" or "unbekannt"
    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str | None]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    header_row: int | None = 1  # None where the file has no header row (Parquet)
    # (row, position) of cells that were numbers in the file (Excel number cells, numeric
    # Parquet columns): only there a key that lost its leading zero is restored
    numeric: set[tuple[int, int]] = field(default_factory=set)

    def problem(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        self.problems.append(Problem(self.name, row, column, None, message))


DELIMITERS = {";": "Semikolon", ",": "Komma", "\t": "Tabulator", "|": "senkrechter Strich"}
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
MB = 1024 * 1024
CHUNK = MB  # bytes read, decoded or unpacked at a time


@dataclass(frozen=True)
class Limits:
    """How big an import file may be; checked while reading, before anything is parsed in full.

    ``max_rows`` data rows per file (TEILHABE_IMPORT_MAX_ROWS), ``max_file_bytes`` per file
    (TEILHABE_IMPORT_MAX_FILE_MB; the Daten page's uploads end at ``server.maxUploadSize``
    before that), ``max_unpacked_bytes`` of XML an Excel workbook may unpack to
    (TEILHABE_IMPORT_MAX_UNPACKED_MB). The rest are fixed: columns of the header (the widest
    table has 14; exports of case software bring a few dozen more), cells of a workbook's sheet
    (a full Excel sheet of 1,048,576 rows with up to 9 columns), entries of a workbook's zip
    archive (a normal one has 10 to 30) and how much an entry may be packed (sheet XML packs 5
    to 30 times, very uniform data up to about 100 times; a zip bomb hundreds to thousands of
    times).
    """

    max_rows: int = 1_000_000
    max_file_bytes: int = 500 * MB
    max_unpacked_bytes: int = 500 * MB
    max_columns: int = 1_000
    max_cells: int = 10_000_000
    max_entries: int = 10_000
    max_ratio: int = 200  # unpacked : packed size of one entry, from 1 MB unpacked on

    @classmethod
    def from_settings(cls, settings) -> Limits:
        """The limits of ``data_access.settings.Settings``."""
        return cls(
            max_rows=settings.import_max_rows,
            max_file_bytes=settings.import_max_file_mb * MB,
            max_unpacked_bytes=settings.import_max_unpacked_mb * MB,
        )

    def describe(self) -> str:
        """The limits in German, for the Daten page and the command's help."""
        return (
            f"höchstens {_count(self.max_rows)} Datenzeilen und {_count(self.max_columns)} "
            f"Spalten, Excel-Dateien höchstens {_count(self.max_cells)} Zellen und "
            f"{_megabytes(self.max_unpacked_bytes)} entpackt"
        )


def _megabytes(size: int) -> str:
    return f"{_count(round(size / MB))} MB" if size >= MB else f"{_count(size)} Bytes"


class _TooBig(Exception):
    """The file exceeds a limit; the message says which, in German."""


def _rows_message(limits: Limits) -> str:
    return (
        f"Die Datei hat mehr als {_count(limits.max_rows)} Datenzeilen; höchstens "
        f"{_count(limits.max_rows)} je Datei (Einstellung TEILHABE_IMPORT_MAX_ROWS). Sie wurde "
        "nicht weiter gelesen; bitte in kleinere Dateien teilen."
    )


def _columns_message(count: int, limits: Limits) -> str:
    return (
        f"Die Kopfzeile hat {_count(count)} Spalten; höchstens {_count(limits.max_columns)} "
        "sind erlaubt. Die Datei wurde nicht weiter gelesen."
    )


def _size_message(size: int, limits: Limits) -> str:
    return (
        f"Die Datei ist {_megabytes(size)} groß; höchstens {_megabytes(limits.max_file_bytes)} "
        "sind erlaubt (Einstellung TEILHABE_IMPORT_MAX_FILE_MB). Bitte in kleinere Dateien teilen."
    )


def _cell(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
