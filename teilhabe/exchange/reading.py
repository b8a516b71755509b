"""Reading a file as people really have it (``read_file``): CSV in its dialects and encodings,
Excel workbooks (``excel``) and Parquet; every value read as text.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import math
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from teilhabe.exchange.excel import _read_excel
from teilhabe.exchange.source import (
    CHUNK,
    DELIMITERS,
    EXCEL_SUFFIXES,
    Limits,
    SourceFile,
    _cell,
    _columns_message,
    _megabytes,
    _rows_message,
    _size_message,
)


def read_file(
    source: Path | str | bytes, name: str | None = None, limits: Limits | None = None
) -> SourceFile:
    """Read a CSV, Excel or Parquet file into text cells; never raises for a bad file.

    ``source`` is a path or the file's bytes (then ``name`` is the file name shown in the
    report). The format is recognised from the content (Parquet and Excel have signatures),
    else from the name. Problems that make the file unreadable are in ``problems``; so is a
    file beyond ``limits`` (size, rows, columns, a workbook's unpacked size and cells), which
    is refused as soon as that is known, before it is parsed in full.
    """
    limits = limits or Limits()
    if isinstance(source, bytes | bytearray | memoryview):
        content = bytes(source)
        name = name or "Datei"
    else:
        path = Path(source)
        name = name or path.name
        try:
            size = path.stat().st_size
            if size > limits.max_file_bytes:
                result = SourceFile(name, "", "unbekannt")
                result.problem(_size_message(size, limits))
                return result
            content = path.read_bytes()
        except OSError as error:
            result = SourceFile(name, "", "unbekannt")
            reason = (
                "Die Datei existiert nicht."
                if isinstance(error, FileNotFoundError)
                else (f"Die Datei kann nicht gelesen werden ({error.strerror or error}).")
            )
            result.problem(reason)
            return result
    sha256 = hashlib.sha256(content).hexdigest()
    if len(content) > limits.max_file_bytes:
        result = SourceFile(name, sha256, "unbekannt")
        result.problem(_size_message(len(content), limits))
        return result
    suffix = Path(name).suffix.lower()
    if content.startswith(b"PAR1") or (suffix == ".parquet" and not content.startswith(b"PK")):
        return _read_parquet(content, name, sha256, limits)
    if content.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or suffix in EXCEL_SUFFIXES:
        return _read_excel(content, name, sha256, limits)
    if suffix not in ("", ".csv", ".txt", ".tsv", ".tab"):
        result = SourceFile(name, sha256, "unbekannt")
        result.problem(
            f"Unbekanntes Dateiformat „{suffix}“; möglich sind CSV (.csv, .txt), Excel (.xlsx) "
            "und Parquet (.parquet)."
        )
        return result
    return _read_csv(content, name, sha256, limits)


CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def _decodes(content: bytes, encoding: str) -> bool:
    """Whether the whole content decodes, checked piece by piece (no copy of the text)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(content)
    try:
        for offset in range(0, len(content), CHUNK):
            decoder.decode(view[offset : offset + CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _encoding(content: bytes) -> tuple[str, str]:
    """(Python codec, German name) of a text file: UTF-16 with BOM, UTF-8 (with or without
    BOM), else Windows-1252, else ISO-8859-1."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) and _decodes(content, "utf-16"):
        return "utf-16", "UTF-16"
    if _decodes(content, "utf-8"):
        bom = content.startswith(b"\xef\xbb\xbf")
        return "utf-8-sig", "UTF-8 mit BOM" if bom else "UTF-8"
    if not any(byte in content for byte in CP1252_UNDEFINED):
        return "cp1252", "Windows-1252"
    return "latin-1", "ISO-8859-1"


def _text_stream(content: bytes, encoding: str) -> io.TextIOWrapper:
    """The content as text, decoded while it is read (no second copy of the whole file)."""
    return io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline="")


def _line_bound(content: bytes) -> int:
    """At least as many as the file has lines (LF, CRLF or CR ends a line)."""
    return content.count(b"\n") + content.count(b"\r") - content.count(b"\r\n") + 1


def _read_csv(content: bytes, name: str, sha256: str, limits: Limits | None = None) -> SourceFile:
    """Read the CSV as a stream: the records are parsed one by one from the bytes; a file with
    more data rows than ``limits.max_rows`` is refused after counting them (without keeping
    them) and a header wider than ``limits.max_columns`` right away."""
    limits = limits or Limits()
    result = SourceFile(name, sha256, "CSV")
    encoding, label = _encoding(content)
    delimiter, skip = _dialect(content, encoding)

    def records() -> Iterator[list[str]]:
        """Every record after the hint line, parsed while the bytes are decoded."""
        reader = csv.reader(_text_stream(content, encoding), delimiter=delimiter)
        for _ in range(skip):
            next(reader, None)
        yield from reader

    try:
        if _line_bound(content) > limits.max_rows + skip + 1:
            _count_rows(records(), limits)  # maybe too many rows: count them, keeping none
        header = _take_records(result, records(), limits)
    except _Refused as refused:
        result.rows = []
        result.problem(str(refused), row=refused.row)
        return result
    except csv.Error as error:
        result.rows = []
        result.problem(f"Die Datei ist kein lesbares CSV ({error}).")
        return result
    if header is None:
        result.problem("Die Datei ist leer.")
        return result
    result.header = header
    shown = DELIMITERS.get(delimiter, f"„{delimiter}“")
    result.notes.append(f"CSV-Datei gelesen: Kodierung {label}, Trennzeichen {shown}.")
    return result


class _Refused(Exception):
    """The file is beyond a limit; the message says which (``row``: where that was seen)."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


def _dialect(content: bytes, encoding: str) -> tuple[str, int]:
    """The delimiter and how many lines come before the header: Excel's hint line ``sep=;``
    (Excel does not show it as a row), else the delimiter that splits the first non-blank line
    best."""
    head = _text_stream(content, encoding)
    first_line = head.readline(CHUNK)
    hint = re.fullmatch(r'"?sep=(.)"?', first_line.strip(), re.IGNORECASE)
    if hint:
        head.detach()
        return hint.group(1), 1
    line = first_line
    while line and not line.strip():
        line = head.readline(CHUNK)
    head.detach()
    return _sniff(line), 0


def _count_rows(records: Iterator[list[str]], limits: Limits) -> None:
    """Count the data rows (the header is none) and refuse beyond ``limits.max_rows``."""
    data_rows = -1
    for record in records:
        if any(v.strip() for v in record):
            data_rows += 1
            if data_rows > limits.max_rows:
                raise _Refused(_rows_message(limits))


def _take_records(
    result: SourceFile, records: Iterator[list[str]], limits: Limits
) -> list[str] | None:
    """Put the data rows into ``result`` and return the header (None: the file is empty).

    Row numbers are as a spreadsheet shows them: one per record (a quoted line break does not
    start a new row, the hint line is not shown)."""
    header: list[str] | None = None
    for index, record in enumerate(records, start=1):
        if not any(value.strip() for value in record):
            continue  # blank line, e.g. at the end of a file saved by a spreadsheet
        if header is None:
            if len(record) > limits.max_columns:
                raise _Refused(_columns_message(len(record), limits), row=index)
            result.header_row = index
            header = [cell.strip() for cell in record]
        elif len(record) > len(header) and any(v.strip() for v in record[len(header) :]):
            result.problem("Die Zeile hat mehr Werte als die Kopfzeile Spalten.", row=index)
        elif len(result.rows) >= limits.max_rows:
            raise _Refused(_rows_message(limits))
        else:
            result.rows.append((index, [_cell(v) for v in record[: len(header)]]))
    return header


def _sniff(line: str) -> str:
    """The delimiter that splits the header line into the most fields (";" on a tie)."""
    best, fields = ";", 1
    for candidate in DELIMITERS:
        try:
            count = len(next(csv.reader([line], delimiter=candidate), []))
        except csv.Error:
            continue
        if count > fields:
            best, fields = candidate, count
    return best


def _read_parquet(
    content: bytes, name: str, sha256: str, limits: Limits | None = None
) -> SourceFile:
    """The Parquet file's columns as text; its metadata (rows, columns, unpacked size) are
    checked against ``limits`` before any data are read."""
    limits = limits or Limits()
    result = SourceFile(name, sha256, "Parquet", header_row=None)
    try:
        import pyarrow.parquet as pq

        metadata = pq.ParquetFile(io.BytesIO(content)).metadata
        unpacked = sum(
            metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)
        )
        if metadata.num_columns > limits.max_columns:
            result.problem(_columns_message(metadata.num_columns, limits))
            return result
        if metadata.num_rows > limits.max_rows:
            result.problem(_rows_message(limits))
            return result
        if unpacked > limits.max_unpacked_bytes:
            result.problem(
                f"Die Parquet-Datei wäre entpackt größer als "
                f"{_megabytes(limits.max_unpacked_bytes)} (Einstellung "
                "TEILHABE_IMPORT_MAX_UNPACKED_MB); sie wurde nicht gelesen."
            )
            return result
        frame = pl.read_parquet(io.BytesIO(content))
    except Exception:  # noqa: BLE001 - any failure of the reader means: not a readable file
        result.problem("Die Datei ist keine lesbare Parquet-Datei.")
        return result
    result.header = [str(c).strip() for c in frame.columns]
    columns = []
    for column in frame.columns:
        try:
            columns.append(_as_text(frame[column]))
        except Exception:  # noqa: BLE001 - e.g. a nested type we cannot show as text
            result.problem(
                "Die Spalte hat einen Datentyp, der nicht gelesen werden kann.", column=column
            )
            columns.append([None] * frame.height)
    numbers = [p for p, c in enumerate(frame.columns) if frame[c].dtype.is_numeric()]
    del frame
    for index, record in enumerate(zip(*columns, strict=True), start=1):
        values = list(record)
        if any(v is not None for v in values):
            result.rows.append((index, values))
            result.numeric.update((index, p) for p in numbers)
    result.notes.append("Parquet-Datei gelesen.")
    return result


def _as_text(series: pl.Series) -> list[str | None]:
    """Typed Parquet values as the text the parsers read (ISO dates, decimal points)."""
    dtype = series.dtype
    if dtype == pl.Date:
        values = series.dt.to_string("%Y-%m-%d").to_list()
    elif isinstance(dtype, pl.Datetime):
        values = series.dt.to_string("%Y-%m-%d %H:%M:%S").to_list()
    elif dtype == pl.Boolean:
        values = [None if v is None else ("true" if v else "false") for v in series.to_list()]
    elif dtype.is_float():
        values = [
            None if v is None else (str(int(v)) if math.isfinite(v) and v.is_integer() else repr(v))
            for v in series.to_list()
        ]
    elif isinstance(dtype, pl.List | pl.Array):
        values = [
            None if v is None else ", ".join("" if x is None else str(x) for x in v)
            for v in series.to_list()
        ]
    else:
        values = series.cast(pl.String).to_list()
    return [_cell(v) for v in values]
