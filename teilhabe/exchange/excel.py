"""Reading the first sheet of an Excel workbook, with the zip archive checked piece by piece
against the limits before anything is unpacked in full.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Iterable, Iterator

import polars as pl

from teilhabe.exchange.basics import _count
from teilhabe.exchange.source import (
    CHUNK,
    MB,
    Limits,
    SourceFile,
    _cell,
    _columns_message,
    _megabytes,
    _rows_message,
    _TooBig,
)


def _read_excel(content: bytes, name: str, sha256: str, limits: Limits | None = None) -> SourceFile:
    """The first sheet with content; its first non-empty row is the header. Cells are read as
    the text Excel shows (dates as ISO text), row numbers are those of the sheet. The workbook's
    zip archive is checked against ``limits`` first (``_check_workbook``)."""
    limits = limits or Limits()
    result = SourceFile(name, sha256, "Excel")
    try:
        _check_workbook(content, limits)
    except _TooBig as error:
        result.problem(str(error))
        return result
    try:
        import fastexcel

        reader = fastexcel.read_excel(content)
        sheets = list(reader.sheet_names)
    except Exception:  # noqa: BLE001 - any failure of the reader means: not a readable workbook
        result.problem("Die Datei ist keine lesbare Excel-Datei (.xlsx).")
        return result
    for index, sheet_name in enumerate(sheets):
        try:
            # no header row and no skipped rows: row i of the frame is row i + 1 of the sheet
            frame = reader.load_sheet(index, header_row=None, skip_rows=0, dtypes="string")
            table = frame.to_polars()
            del frame
        except Exception:  # noqa: BLE001 - an empty or broken sheet: try the next one
            continue
        if table.width > limits.max_columns:
            result.problem(_columns_message(table.width, limits))
            return result
        try:
            found = _sheet_rows(table, limits)
        except _TooBig as error:
            result.problem(str(error))
            return result
        if found is None:
            continue  # nothing in this sheet
        del table
        result.header_row, result.header, result.rows = found
        result.numeric = _number_cells(content, index)
        result.notes.append(f"Excel-Datei gelesen: Tabellenblatt „{sheet_name}“.")
        return result
    result.problem("Die Datei ist leer.")
    return result


def _sheet_rows(
    table: pl.DataFrame, limits: Limits
) -> tuple[int, list[str], list[tuple[int, list[str | None]]]] | None:
    """A sheet's header row (its number and cells) and data rows (their numbers and cells);
    None for a sheet without content. Raises ``_TooBig`` beyond ``limits.max_rows``."""
    header: tuple[int, list[str]] | None = None
    rows: list[tuple[int, list[str | None]]] = []
    for line, record in enumerate(table.iter_rows(), start=1):
        values = [_cell(v) for v in record]
        if not any(v is not None for v in values):
            continue
        if header is None:
            header = (line, [v or "" for v in values])
        elif len(rows) >= limits.max_rows:
            raise _TooBig(_rows_message(limits))
        else:
            rows.append((line, values))
    return None if header is None else (*header, rows)


# literal starts, so that the regular expressions search fast (a sheet's XML may be 500 MB)
XML_CELL_COLUMN = re.compile(rb' r="([A-Z]{1,3})\d')  # a cell's reference, e.g. r="B12"
XML_ROW_NUMBER = re.compile(rb' r="(\d{1,10})"')  # a row's number, e.g. r="12"
XML_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]{0,30}):)?worksheet[\s>]")
XML_DIMENSION = re.compile(
    rb'<(?:[A-Za-z_][\w.-]{0,30}:)?dimension\s+ref="[A-Z]{1,3}\d{1,10}:([A-Z]{1,3})(\d{1,10})"'
)
WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


class _SheetCount:
    """Cells of a sheet's XML counted while it is unpacked: their number and the rectangle
    they span (the reader fills that rectangle, so it counts, too)."""

    def __init__(self, entry: str, limits: Limits) -> None:
        self.entry, self.limits = entry, limits
        self.cells = self.last_row = self.last_column = 0
        self.carry = b""
        self.tags: tuple[bytes, ...] | None = None  # how a cell's tag starts

    def feed(self, piece: bytes, *, final: bool = False) -> None:
        buffer = self.carry + piece
        # cut after the last ">": no tag or attribute counted here spans it
        cut = len(buffer) if final else buffer.rfind(b">") + 1
        if cut == 0 and len(buffer) > 2 * CHUNK:  # a text of megabytes: no tag in it
            cut = len(buffer) - 64
        part, self.carry = buffer[:cut], buffer[cut:]
        if self.tags is None and (root := XML_ROOT.search(part)):
            prefix = root.group(1)
            self.tags = (b"<c", b"<" + prefix + b":c") if prefix else (b"<c",)
        if not self.cells and (dimension := XML_DIMENSION.search(part)):
            self._fits(_column_number(dimension.group(1)), int(dimension.group(2)))
        # "<c" also starts the few <col> and <cfRule> tags: counted too, on the safe side
        self.cells += sum(part.count(tag) for tag in self.tags or (b"<c",))
        columns = set(XML_CELL_COLUMN.findall(part))
        if columns:
            self.last_column = max(self.last_column, *(_column_number(c) for c in columns))
        rows = XML_ROW_NUMBER.findall(part)
        if rows:
            self.last_row = max(self.last_row, *(int(r) for r in rows))
        if self.cells > self.limits.max_cells:
            raise _TooBig(self._message(f"mehr als {_count(self.limits.max_cells)}"))
        self._fits(self.last_column, self.last_row)

    def _fits(self, columns: int, rows: int) -> None:
        if columns * rows > self.limits.max_cells:
            raise _TooBig(
                self._message(
                    f"{_count(rows)} Zeilen × {_count(columns)} Spalten, also mehr als "
                    f"{_count(self.limits.max_cells)}"
                )
            )

    def _message(self, cells: str) -> str:
        return (
            f"Das Tabellenblatt {self.entry} hat {cells} Zellen; höchstens "
            f"{_count(self.limits.max_cells)} sind erlaubt. Die Datei wurde nicht geöffnet; "
            "bitte als CSV speichern oder in kleinere Dateien teilen."
        )


def _check_workbook(content: bytes, limits: Limits) -> None:
    """Refuse a workbook (.xlsx, .xlsm, .ods: a zip archive) before a reader unpacks it, when
    it has too many entries, unpacks to more than ``limits.max_unpacked_bytes`` or one of its
    entries is packed suspiciously tightly (a zip bomb), or a sheet has more than
    ``limits.max_cells`` cells. The sizes are measured by unpacking the archive piece by piece
    (the sizes the archive declares may lie); nothing unpacked is kept. Raises ``_TooBig``; a
    file that is no readable zip archive passes (the reader then says it is unreadable)."""
    if not content.startswith(b"PK"):
        return  # .xls (OLE): at most 65,536 rows, bounded by the file size
    view = memoryview(content)
    unpacked = 0
    for info in _zip_entries(content, limits):
        packed = _packed(view, info)
        if packed is None:
            return  # a broken archive: the reader says so
        unpacked = _measure(info, packed, limits, unpacked)


def _zip_entries(content: bytes, limits: Limits) -> list[zipfile.ZipInfo]:
    """The entries of the archive (none if it is no readable zip archive); refused when there
    are more than ``limits.max_entries``, counted before any is read."""
    stream = io.BytesIO(content)
    try:
        end = zipfile._EndRecData(stream)  # type: ignore[attr-defined]  # the count of entries, before reading any
    except Exception:  # noqa: BLE001 - not a zip archive: the reader says so
        return []
    if end is None:
        return []
    entries = end[zipfile._ECD_ENTRIES_TOTAL]  # type: ignore[attr-defined]
    if entries > limits.max_entries:
        raise _TooBig(
            f"Die Excel-Datei besteht aus {_count(entries)} Teilen "
            f"(Zip-Einträgen); höchstens {_count(limits.max_entries)} sind erlaubt. Sie wurde "
            "nicht geöffnet."
        )
    try:
        return zipfile.ZipFile(stream).infolist()
    except Exception:  # noqa: BLE001 - a broken archive: the reader says so
        return []


def _packed(view: memoryview, info: zipfile.ZipInfo) -> memoryview | None:
    """The packed bytes of an entry, found through its local header (None: no such header)."""
    offset = info.header_offset
    local = bytes(view[offset : offset + 30])
    if len(local) < 30 or not local.startswith(b"PK\x03\x04"):
        return None
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    start = offset + 30 + name_length + extra_length
    return view[start : start + info.compress_size]


def _measure(info: zipfile.ZipInfo, packed: memoryview, limits: Limits, unpacked: int) -> int:
    """Unpack one entry piece by piece, refusing it beyond the limits (a sheet's cells counted
    on the way); the bytes unpacked so far, this entry's included."""
    sheet = _SheetCount(info.filename, limits) if WORKSHEET.fullmatch(info.filename) else None
    deflated = info.compress_type == zipfile.ZIP_DEFLATED
    pieces: Iterable[tuple[bytes, int]]
    if info.compress_type == zipfile.ZIP_STORED:
        unpacked += len(packed)
        pieces = ((bytes(packed[i : i + CHUNK]), i + CHUNK) for i in range(0, len(packed), CHUNK))
    elif deflated:
        pieces = _inflate(packed)
    else:
        raise _TooBig(
            f"Die Excel-Datei nutzt für {info.filename} ein unbekanntes Packverfahren "
            f"(Nr. {info.compress_type}); sie wurde nicht geöffnet."
        )
    size = 0
    for piece, consumed in pieces:
        size += len(piece)
        unpacked += len(piece) if deflated else 0
        _check_piece(info, limits, unpacked, size, consumed)
        if sheet is not None:
            sheet.feed(piece)
    if sheet is not None:
        sheet.feed(b"", final=True)
    return unpacked


def _check_piece(
    info: zipfile.ZipInfo, limits: Limits, unpacked: int, size: int, consumed: int
) -> None:
    """Refuse when the archive unpacks to too much, or the entry is packed too tightly."""
    if unpacked > limits.max_unpacked_bytes:
        raise _TooBig(
            f"Die Excel-Datei wäre entpackt größer als "
            f"{_megabytes(limits.max_unpacked_bytes)} (Einstellung "
            "TEILHABE_IMPORT_MAX_UNPACKED_MB); sie wurde nicht geöffnet. Bitte als CSV "
            "speichern oder in kleinere Dateien teilen."
        )
    if size > MB and size > limits.max_ratio * max(consumed, 1):
        raise _TooBig(
            f"Die Excel-Datei ist ungewöhnlich stark gepackt ({info.filename} mehr als "
            f"{_count(limits.max_ratio)}-fach) und wurde als mögliche Zip-Bombe nicht "
            "geöffnet."
        )


def _inflate(packed: memoryview) -> Iterator[tuple[bytes, int]]:
    """Unpack deflated data piece by piece: (at most CHUNK bytes, packed bytes used so far)."""
    import zlib

    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    position = 0
    pending = b""
    while not inflater.eof:
        if not pending:
            if position >= len(packed):
                return
            pending = bytes(packed[position : position + CHUNK])
            position += len(pending)
        try:
            piece = inflater.decompress(pending, CHUNK)
        except zlib.error:
            return  # broken data: the reader says the file is unreadable
        pending = inflater.unconsumed_tail
        yield piece, position - len(pending)


def _number_cells(content: bytes, sheet: int) -> set[tuple[int, int]]:
    """(row, column position) of the number cells of a sheet of an .xlsx workbook, from its XML
    (the reader gives text only), read as a stream row by row; empty for other formats or when
    the XML cannot be read."""
    import zipfile
    from xml.etree import ElementTree

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    relation = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            sheets = workbook.findall(f"{main}sheets/{main}sheet")
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            targets = {r.get("Id"): r.get("Target", "") for r in rels}
            target = targets[sheets[sheet].get(relation)].lstrip("/")
            path = target if target.startswith("xl/") else f"xl/{target}"
            cells: set[tuple[int, int]] = set()
            data = None
            with archive.open(path) as xml:
                for event, element in ElementTree.iterparse(xml, events=("start", "end")):
                    if event == "start":
                        if element.tag == f"{main}sheetData":
                            data = element
                        continue
                    if element.tag != f"{main}row":
                        continue
                    for cell in element.iter(f"{main}c"):
                        if cell.get("t", "n") != "n" or cell.find(f"{main}v") is None:
                            continue
                        match = re.fullmatch(r"([A-Z]+)(\d+)", cell.get("r", ""))
                        if match:
                            letters, row = match.groups()
                            cells.add((int(row), _column_number(letters.encode()) - 1))
                    if data is not None:
                        del data[:]  # the rows read so far are not kept
            return cells
    except Exception:  # noqa: BLE001 - no XML to read (e.g. .xls): no cell counts as a number
        return set()
