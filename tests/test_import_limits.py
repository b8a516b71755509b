"""Limits of import files (issue 18): hostile or oversized files are refused while they are read.

A zip bomb disguised as a workbook, a CSV with millions of rows, a header of thousands of
columns: each is refused with one German message naming the limit, quickly and in little
memory (measured in a subprocess), and no table changes — in the data layer, on the command
line (exit 2, one line) and on the Daten page.
"""

from __future__ import annotations

import io
import json
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from sqlalchemy import Engine, inspect, text

from data_access.auth import Actor
from data_access.settings import ConfigurationError, Settings
from teilhabe.cli.main import main
from teilhabe.exchange import tabular as imports
from teilhabe.exchange.reading import read_file
from teilhabe.exchange.source import MB, Limits
from tests.test_imports import csv_bytes, make_db

REPO = Path(__file__).resolve().parents[1]
STEWARD = Actor.command_line("tester")
HEADER = ["Personen-ID", "Gemeindeschlüssel", "Geschlecht", "Geburtsjahr"]
ROW_XML = b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'


# --- Building workbooks by hand ----------------------------------------------------------------


CONTENT_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
    b'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
    b'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    b'worksheet+xml"/></Types>'
)
RELS = (
    b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    b"</Relationships>"
)
WORKBOOK = (
    b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
    b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Personen" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b"</Relationships>"
)
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    b'spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def deflated(parts: list[tuple[bytes, int]]) -> tuple[bytes, int, int]:
    """Raw deflate data of the parts (each ``(bytes, times)``) without compressing every copy:
    after a full flush the packer starts afresh, so a part packs to the same bytes each time.
    Returns (packed, unpacked size, CRC-32)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed, size, crc = [], 0, 0
    for data, times in parts:
        once = packer.compress(data) + packer.flush(zlib.Z_FULL_FLUSH)
        packed.append(once * times)
        size += len(data) * times
        for _ in range(times):
            crc = zlib.crc32(data, crc)
    packed.append(packer.flush())
    return b"".join(packed), size, crc


def zip_archive(entries: dict[str, tuple[bytes, int, int]], *, declared: int | None = None):
    """A zip archive of deflated entries ``name -> (packed, size, crc)``; ``declared`` puts
    that uncompressed size into the headers instead of the true one (a lying archive)."""
    out, directory = io.BytesIO(), []
    for name, (packed, size, crc) in entries.items():
        shown = size if declared is None else declared
        offset = out.tell()
        encoded = name.encode()
        out.write(
            struct.pack(
                "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(packed), shown, len(encoded), 0
            )
        )
        out.write(encoded + packed)
        directory.append(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(packed),
                shown,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    for record in directory:
        out.write(record)
    size = out.tell() - start
    out.write(
        struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(directory), len(directory), size, start, 0)
    )
    return out.getvalue()


def workbook(sheet: list[tuple[bytes, int]], *, declared: int | None = None) -> bytes:
    """An .xlsx whose one sheet's XML is the parts (``(bytes, times)``) between head and tail."""
    small = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
    }
    entries = {name: deflated([(data, 1)]) for name, data in small.items()}
    entries["xl/worksheets/sheet1.xml"] = deflated([(SHEET_HEAD, 1), *sheet, (SHEET_TAIL, 1)])
    return zip_archive(entries, declared=declared)


def zip_bomb(unpacked_mb: int) -> bytes:
    """A workbook of a few kB per MB whose sheet XML unpacks to ``unpacked_mb`` MB of rows."""
    block = ROW_XML * (MB // len(ROW_XML))
    return workbook([(block, unpacked_mb)])


def xlsx(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Personen")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def parquet(rows: int) -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"Personen-ID": [f"P{i}" for i in range(rows)]}).write_parquet(buffer)
    return buffer.getvalue()


def only_problem(source) -> str:
    assert source.rows == [] and len(source.problems) == 1, source.problems
    return source.problems[0].message


# --- Workbooks -----------------------------------------------------------------------------


def test_the_hand_built_workbook_is_a_real_workbook() -> None:
    """The builder makes files the reader reads (so the refusals below are the limits' doing)."""
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>P%d</t></is></c></row>' % (i, i, i)
        for i in range(1, 4)
    )
    source = read_file(workbook([(rows, 1)]), "p.xlsx")
    assert source.problems == []
    assert (source.header, source.rows) == (["P1"], [(2, ["P2"]), (3, ["P3"])])


def test_a_zip_bomb_is_refused_by_its_packing() -> None:
    bomb = zip_bomb(50)
    assert len(bomb) < 200_000  # 50 MB of sheet XML in a few dozen kB
    message = only_problem(read_file(bomb, "bombe.xlsx"))
    assert message == (
        "Die Excel-Datei ist ungewöhnlich stark gepackt (xl/worksheets/sheet1.xml mehr als "
        "200-fach) und wurde als mögliche Zip-Bombe nicht geöffnet."
    )


def test_the_unpacked_size_is_measured_not_taken_from_the_archive() -> None:
    """An archive that declares a tiny size for a big sheet: the true size counts."""
    block = ROW_XML * (MB // len(ROW_XML))
    lying = workbook([(block, 5)], declared=1_000)
    assert all(i.file_size == 1_000 for i in zipfile.ZipFile(io.BytesIO(lying)).infolist())
    limits = Limits(max_unpacked_bytes=3 * MB, max_ratio=10**9)
    assert only_problem(read_file(lying, "p.xlsx", limits)) == (
        "Die Excel-Datei wäre entpackt größer als 3 MB (Einstellung "
        "TEILHABE_IMPORT_MAX_UNPACKED_MB); sie wurde nicht geöffnet. Bitte als CSV speichern "
        "oder in kleinere Dateien teilen."
    )
    # within the limit, the same workbook passes the check (and the reader opens it)
    assert read_file(workbook([(block, 2)]), "p.xlsx", limits).problems == []


def test_a_sheet_with_more_cells_than_allowed_is_refused_before_it_is_read() -> None:
    content = xlsx([HEADER] + [[f"P{i}", "08135019", "w", 1980] for i in range(30)])  # 124
    assert read_file(content, "p.xlsx", Limits(max_cells=124)).problems == []
    # refused by the sheet's declared dimension (A1:D31) ...
    assert only_problem(read_file(content, "p.xlsx", Limits(max_cells=123))) == (
        "Das Tabellenblatt xl/worksheets/sheet1.xml hat 31 Zeilen × 4 Spalten, also mehr als "
        "123 Zellen; höchstens 123 sind erlaubt. Die Datei wurde nicht geöffnet; bitte als CSV "
        "speichern oder in kleinere Dateien teilen."
    )
    # ... and, where it declares none, by the cells counted while unpacking
    uncounted = workbook([(ROW_XML, 151)])
    assert read_file(uncounted, "p.xlsx", Limits(max_cells=151)).problems == []
    assert only_problem(read_file(uncounted, "p.xlsx", Limits(max_cells=150))) == (
        "Das Tabellenblatt xl/worksheets/sheet1.xml hat mehr als 150 Zellen; höchstens 150 "
        "sind erlaubt. Die Datei wurde nicht geöffnet; bitte als CSV speichern oder in kleinere "
        "Dateien teilen."
    )


def test_a_sheet_spanning_a_huge_rectangle_is_refused() -> None:
    """Two cells, in A1 and in the sheet's last cell: the reader would fill all between."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write(0, 0, "Personen-ID")
    sheet.write(1_048_575, 16_383, "x")
    book.close()
    content = buffer.getvalue()
    assert len(content) < 10_000
    assert only_problem(read_file(content, "p.xlsx")) == (
        "Das Tabellenblatt xl/worksheets/sheet1.xml hat 1.048.576 Zeilen × 16.384 Spalten, also "
        "mehr als 10.000.000 Zellen; höchstens 10.000.000 sind erlaubt. Die Datei wurde nicht "
        "geöffnet; bitte als CSV speichern oder in kleinere Dateien teilen."
    )


def test_a_workbook_of_too_many_entries_is_refused_before_its_directory_is_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(11):
            archive.writestr(f"xl/teil{number}.xml", b"<x/>")
    assert only_problem(read_file(buffer.getvalue(), "p.xlsx", Limits(max_entries=10))) == (
        "Die Excel-Datei besteht aus 11 Teilen (Zip-Einträgen); höchstens 10 sind erlaubt. Sie "
        "wurde nicht geöffnet."
    )


def test_an_unknown_packing_method_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("xl/workbook.xml", WORKBOOK)
    assert only_problem(read_file(buffer.getvalue(), "p.xlsx")) == (
        "Die Excel-Datei nutzt für xl/workbook.xml ein unbekanntes Packverfahren (Nr. 12); sie "
        "wurde nicht geöffnet."
    )


def test_a_uniform_big_sheet_is_packed_far_less_than_the_bomb_limit() -> None:
    """Real data pack 5 to 100 times; the limit of 200 leaves them room."""
    rows = [HEADER] + [["P-0000001", "08135019", "w", 1980]] * 20_000
    content = xlsx(rows)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    assert 5 < info.file_size / info.compress_size < 100
    assert read_file(content, "p.xlsx").problems == []


def test_rows_beyond_the_limit_in_excel_and_parquet() -> None:
    content = xlsx([HEADER] + [[f"P{i}", "08135019", "w", 1980] for i in range(3)])
    assert len(read_file(content, "p.xlsx", Limits(max_rows=3)).rows) == 3
    message = only_problem(read_file(content, "p.xlsx", Limits(max_rows=2)))
    assert message.startswith("Die Datei hat mehr als 2 Datenzeilen; höchstens 2 je Datei")
    assert len(read_file(parquet(3), "p.parquet", Limits(max_rows=3)).rows) == 3
    message = only_problem(read_file(parquet(3), "p.parquet", Limits(max_rows=2)))
    assert message.startswith("Die Datei hat mehr als 2 Datenzeilen")


# --- CSV -------------------------------------------------------------------------------------


def test_a_csv_at_the_row_limit_is_read_one_more_row_is_refused() -> None:
    rows = [HEADER] + [[f"P{i}", "08135019", "w", "1980"] for i in range(5)]
    assert len(read_file(csv_bytes(rows), "p.csv", Limits(max_rows=5)).rows) == 5
    # blank lines do not count; a quoted line break does not make a row
    spaced = csv_bytes([*rows, [], [], ["P9", "08135019", "w\nx", "1980"]])
    assert only_problem(read_file(spaced, "p.csv", Limits(max_rows=5))) == (
        "Die Datei hat mehr als 5 Datenzeilen; höchstens 5 je Datei (Einstellung "
        "TEILHABE_IMPORT_MAX_ROWS). Sie wurde nicht weiter gelesen; bitte in kleinere Dateien "
        "teilen."
    )
    source = read_file(
        csv_bytes([*rows[:5], [], [], ["P9", "08135019", "w\nx", "1980"]]),
        "p.csv",
        Limits(max_rows=5),
    )
    assert [line for line, _ in source.rows] == [2, 3, 4, 5, 8]


def test_a_csv_is_still_read_as_people_have_it() -> None:
    """The stream reader keeps what the whole-file reader did: hint line, encodings, rows."""
    rows = [HEADER, ["P1", "08135019", "w", "1980"]]
    for content, encoding in (
        (csv_bytes(rows, prefix="sep=;\r\n"), "UTF-8"),
        (csv_bytes(rows, encoding="utf-16"), "UTF-16"),
        (
            csv_bytes([HEADER, ["Jürgen", "08135019", "w", "1980"]], encoding="cp1252"),
            "Windows-1252",
        ),
        (csv_bytes(rows, prefix="\ufeff", lineterminator="\r"), "UTF-8 mit BOM"),
    ):
        source = read_file(content, "p.csv")
        assert source.problems == [] and source.header == HEADER, encoding
        assert len(source.rows) == 1 and source.rows[0][0] == 2
        assert source.notes == [f"CSV-Datei gelesen: Kodierung {encoding}, Trennzeichen Semikolon."]


def test_a_header_of_too_many_columns_is_refused() -> None:
    wide = csv_bytes([[f"Spalte {i}" for i in range(1_001)], ["x"] * 1_001])
    assert only_problem(read_file(wide, "p.csv")) == (
        "Die Kopfzeile hat 1.001 Spalten; höchstens 1.000 sind erlaubt. Die Datei wurde nicht "
        "weiter gelesen."
    )
    assert read_file(csv_bytes([[f"Spalte {i}" for i in range(1_000)]]), "p.csv").problems == []


def test_the_file_size_limit(tmp_path) -> None:
    path = tmp_path / "gross.csv"
    path.write_bytes(b"Personen-ID\n" + b"P1\n" * 400_000)  # 1.2 MB
    assert only_problem(read_file(path, limits=Limits(max_file_bytes=MB))) == (
        "Die Datei ist 1 MB groß; höchstens 1 MB sind erlaubt (Einstellung "
        "TEILHABE_IMPORT_MAX_FILE_MB). Bitte in kleinere Dateien teilen."
    )


def test_duplicate_and_blank_headers_of_a_wide_file_are_mapped_in_one_pass(tmp_path) -> None:
    db = make_db(f"sqlite:///{tmp_path / 'w.sqlite'}")
    header = [
        "Personen-ID",
        *(["Personen-ID"] * 500),
        *([""] * 495),
        "AGS",
        "Geschlecht",
        "Geburtsjahr",
    ]
    body = [
        [f"N{i}", *(["x"] * 500), *([""] * 494), "x", "08135019", "w", "1980"] for i in range(2_000)
    ]
    report = imports.validate(db, "client", csv_bytes([header, *body]), name="p.csv", actor=STEWARD)
    assert len(report.problems) == 500  # each duplicate column once
    assert report.problems[0].message == (
        "Die Spalten „Personen-ID“ und „Personen-ID“ meinen dasselbe (Personen-ID); bitte eine "
        "davon entfernen."
    )
    assert (
        report.notes[1] == "Nicht übernommen (unbekannte Spalten): „(ohne Überschrift, "
        "Spalte 996)“."
    )
    db.dispose()


# --- Memory and time, measured in a subprocess -------------------------------------------------


MEASURE = """
import json, resource, sys, time
from teilhabe.exchange.reading import read_file
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
source = read_file(sys.argv[1])
seconds = time.perf_counter() - started
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"seconds": seconds, "grown_mb": grown / 1024, "rows": len(source.rows),
                  "problems": [p.message for p in source.problems]}))
"""


def measured(path: Path) -> dict:
    """Read ``path`` in a fresh process: seconds, growth of its peak RSS in MB, rows, problems."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(done.stdout)


def test_a_gigabyte_zip_bomb_is_refused_within_seconds_in_little_memory(tmp_path) -> None:
    path = tmp_path / "bombe.xlsx"
    path.write_bytes(zip_bomb(1_200))  # 1.2 GB of sheet XML (the file: 1.26 GB)
    assert path.stat().st_size < 5 * MB
    result = measured(path)
    assert result["problems"][0].endswith("als mögliche Zip-Bombe nicht geöffnet.")
    # measured: 0.2 s and 8 MB (the reader took minutes and gigabytes); generous bounds
    assert result["seconds"] < 20
    assert result["grown_mb"] < 100


def test_a_csv_of_too_many_rows_is_refused_without_keeping_them(tmp_path) -> None:
    path = tmp_path / "zeilen.csv"
    path.write_bytes(b"Personen-ID;Geburtsjahr\n" + b"P-0000001;1980\n" * 1_000_001)
    result = measured(path)
    assert result["rows"] == 0
    assert result["problems"][0].startswith("Die Datei hat mehr als 1.000.000 Datenzeilen")
    # measured: 8 s on a busy machine and 16 MB; the rows are counted, not kept
    assert result["seconds"] < 60
    assert result["grown_mb"] < 300


# --- Command line and settings -----------------------------------------------------------------


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in inspect(engine).get_table_names()
        }


@pytest.mark.parametrize("dry_run", [True, False])
def test_the_command_refuses_with_one_german_line(tmp_path, capsys, monkeypatch, dry_run) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    engine = make_db(url)
    before = table_counts(engine)
    monkeypatch.setenv("TEILHABE_IMPORT_MAX_ROWS", "3")
    many = tmp_path / "personen.csv"
    many.write_bytes(csv_bytes([HEADER] + [[f"N{i}", "08135019", "w", "1980"] for i in range(4)]))
    bomb = tmp_path / "bombe.xlsx"
    bomb.write_bytes(zip_bomb(20))
    flag = ["--dry-run"] if dry_run else []
    for path, message in (
        (
            many,
            "personen.csv: Die Datei hat mehr als 3 Datenzeilen; höchstens 3 je Datei "
            "(Einstellung TEILHABE_IMPORT_MAX_ROWS). Sie wurde nicht weiter gelesen; bitte in "
            "kleinere Dateien teilen.",
        ),
        (
            bomb,
            "bombe.xlsx: Die Excel-Datei ist ungewöhnlich stark gepackt "
            "(xl/worksheets/sheet1.xml mehr als 200-fach) und wurde als mögliche Zip-Bombe nicht "
            "geöffnet.",
        ),
    ):
        code = main(["import", "client", str(path), *flag, "--database-url", url])
        out, err = capsys.readouterr()
        assert (code, out) == (2, "")
        assert err.splitlines() == [f"Fehler: {message} Die Datenbank ist unverändert."]
    assert table_counts(engine) == before
    # within the limit, the same command imports
    monkeypatch.setenv("TEILHABE_IMPORT_MAX_ROWS", "4")
    assert main(["import", "client", str(many), *flag, "--database-url", url]) == 0
    engine.dispose()


def test_the_command_refuses_a_file_over_its_size_limit(tmp_path, capsys, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    make_db(url).dispose()
    monkeypatch.setenv("TEILHABE_IMPORT_MAX_FILE_MB", "1")
    path = tmp_path / "gross.csv"
    path.write_bytes(b"Personen-ID\n" + b"P-0000001\n" * 300_000)
    assert main(["import", "client", str(path), "--database-url", url]) == 2
    assert capsys.readouterr().err == (
        "Fehler: gross.csv: Die Datei ist 3 MB groß; höchstens 1 MB sind erlaubt (Einstellung "
        "TEILHABE_IMPORT_MAX_FILE_MB). Bitte in kleinere Dateien teilen. Die Datenbank ist "
        "unverändert.\n"
    )


def test_the_limit_settings() -> None:
    default = Settings.load({}, secrets_file=Path("/nonexistent"))
    assert (default.import_max_rows, default.import_max_file_mb) == (1_000_000, 500)
    assert Limits.from_settings(default) == Limits()
    env = {
        "TEILHABE_IMPORT_MAX_ROWS": "300.000",
        "TEILHABE_IMPORT_MAX_FILE_MB": "50",
        "TEILHABE_IMPORT_MAX_UNPACKED_MB": "200",
    }
    limits = Limits.from_settings(Settings.load(env, secrets_file=Path("/nonexistent")))
    assert (limits.max_rows, limits.max_file_bytes, limits.max_unpacked_bytes) == (
        300_000,
        50 * MB,
        200 * MB,
    )
    for value, message in (
        ("0", "TEILHABE_IMPORT_MAX_ROWS muss mindestens 1 sein, nicht 0."),
        ("viele", "TEILHABE_IMPORT_MAX_ROWS 'viele' ist keine ganze Zahl."),
    ):
        with pytest.raises(ConfigurationError) as error:
            Settings.load({"TEILHABE_IMPORT_MAX_ROWS": value}, secrets_file=Path("/nonexistent"))
        assert str(error.value) == message


# --- Daten page ------------------------------------------------------------------------------


def test_the_daten_page_shows_the_limits_and_the_refusal(tmp_path, monkeypatch) -> None:
    import streamlit as st

    from tests.test_app_data import ROLE_ENV, open_page

    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    engine = make_db(url)
    before = table_counts(engine)
    monkeypatch.setenv("TEILHABE_DATABASE_URL", url)
    monkeypatch.setenv("TEILHABE_DATA_DIR", str(tmp_path / "data"))
    for key, value in ROLE_ENV.items():
        monkeypatch.setenv(key, value)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = open_page()
    at.selectbox(key="import_table").set_value("client").run()
    assert any(
        c.value.startswith(
            "Höchstens 100 MB je Datei; höchstens 1.000.000 Datenzeilen und 1.000 Spalten, "
            "Excel-Dateien höchstens 10.000.000 Zellen und 500 MB entpackt."
        )
        for c in at.caption
    )
    upload = ("personen.xlsx", zip_bomb(20), "application/octet-stream")
    at.file_uploader(key="import_file").set_value(upload).run()
    assert not at.exception
    shown_error = re.sub(r"\\(.)", r"\1", at.error[0].value)  # file names are shown escaped
    assert "**personen.xlsx** für Personen: 1 Problem." in shown_error
    problems = at.dataframe[1].value  # after the column guide
    assert problems["Problem"].tolist() == [
        "Die Excel-Datei ist ungewöhnlich stark gepackt (xl/worksheets/sheet1.xml mehr als "
        "200-fach) und wurde als mögliche Zip-Bombe nicht geöffnet."
    ]
    assert not [b for b in at.button if b.key == "import_confirm"]
    assert table_counts(engine) == before
    engine.dispose()
