"""Text from data is text on every route (issue 18): charts, exports, import files, PDF, pages.

The data are the demo's with a hostile payload in every text (``tests/hostile.py``): Markdown
links, HTML (links, big spans, images), Streamlit's colours and LaTeX, spreadsheet formulas.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
import pytest
import streamlit as st
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from data_access.db import create_db_engine
from teilhabe.cases import read_cases
from teilhabe.demo import AS_OF
from teilhabe.exchange.core import TableImportReport
from teilhabe.exchange.report import Problem
from teilhabe.exchange.tables import TABLES
from teilhabe.exchange.templates import template_csv, template_xlsx
from teilhabe.protection import DEMO_SECRET, Protection
from teilhabe.reporting import charts
from teilhabe.reporting import pdf as report
from teilhabe.reporting.chart_style import for_target
from teilhabe.reporting.exports import Column, to_csv, to_xlsx
from teilhabe.reporting.safe_text import FORMULA_STARTS
from teilhabe.selection import Filters
from tests.hostile import ANCHOR, BIG, IMAGE, PAYLOADS, PHISH_LINK
from ui import imports as ui_imports

APP = str(Path(__file__).resolve().parents[1] / "app.py")
# Markup from data that must never reach plotly unescaped (our own <b> and <br> may).
RAW_MARKUP = re.compile(r"<(a|span|img)[\s>]|<b>fett", re.IGNORECASE)


def strings(value: object):
    """Every string inside a (nested) plotly figure dict."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def assert_no_markup(figure: go.Figure) -> None:
    for target in ("screen", "slide", "png", "pdf"):
        raw = [
            s for s in strings(for_target(figure, target).to_plotly_json()) if RAW_MARKUP.search(s)
        ]
        assert raw == [], target


# --- Charts ----------------------------------------------------------------------------------


def test_every_chart_keeps_labels_from_data_as_text() -> None:
    labels = [f"{p} G{i}" for i, p in enumerate(PAYLOADS)]
    months = list(range(24 * 12 + 1, 24 * 12 + 4))
    events = pl.DataFrame(
        {
            "date": [dt.date(2013, 9, 24)] * 2,
            "title": [PHISH_LINK, ANCHOR],
            "attendees": [150, 20],
            "providers": [["P01"], ["P02"]],
        }
    )
    series = pl.DataFrame(
        {"month": months, "elb": [10, 11, 12], "lzb": [5, 6, 7], "lzb_4y_plus": [1, 2, 3],
         "integration_rate": [20.0, 21.0, None]}
    )  # fmt: skip
    per_group = pl.DataFrame(
        {
            "month": [m for m in months for _ in labels],
            "label": labels * len(months),
            "value": list(range(len(months) * len(labels))),
            "share": [1.0] * (len(months) * len(labels)),
        }
    )
    figures = {
        "stock_trend": charts.stock_trend(series, events),
        "rate_trend": charts.rate_trend(series, "integration_rate", events),
        "duration_bars": charts.duration_bars(pl.DataFrame({"band": labels, "count": [5] * 13})),
        "duration_bars_h": charts.duration_bars(
            pl.DataFrame({"band": labels, "count": [5] * 13}), horizontal=True
        ),
        "group_bars": charts.group_bars(
            pl.DataFrame({"group": labels, "now": [20.0] * 13}), overall=20.0
        ),
        "kind_bars": charts.kind_bars(dict.fromkeys(labels, 4)),
        "share_bars": charts.share_bars(
            pl.DataFrame({"label": labels, "elb_share": [3.0] * 13}), {"elb_share": "ELB"}
        ),
        "share_trend": charts.share_trend(per_group, "share"),
        "count_trend": charts.count_trend(per_group),
        "heatmap": charts.heatmap(
            [[1.0] * 13] * 13, labels, labels, value_name="K2", column_name="a", row_name="b"
        ),
        "sankey": charts.sankey(
            pl.DataFrame(
                {
                    "source": ["barrier:x", "category:y"],
                    "target": ["category:y", "outcome:z"],
                    "referrals": [5, 3],
                }
            ),  # fmt: skip
            {"barrier:x": ANCHOR, "category:y": BIG, "outcome:z": IMAGE},
        ),
        "events_timeline": charts.events_timeline(events),
    }
    for name, figure in figures.items():
        assert_no_markup(figure)
        text = " ".join(strings(figure.to_plotly_json())).replace("<br>", " ")
        # what the chart shows is the payload itself, written so that plotly shows it as text
        assert "&lt;a href=&#34;https://evil.example&#34;&gt;x&lt;/a&gt;" in text or (
            name in ("stock_trend", "rate_trend", "events_timeline")
            and "[Jetzt anmelden](https://evil.example/phish)" in text
        ), name
        assert "&quot;" not in text, name  # plotly would show "&quot;" as it is


# --- Exports ---------------------------------------------------------------------------------

HOSTILE_FRAME = pl.DataFrame(
    {
        "name": list(PAYLOADS),
        "count": [-2] * len(PAYLOADS),
        "rate": [None, *([12.5] * (len(PAYLOADS) - 1))],
    },
    schema={"name": pl.String, "count": pl.Int64, "rate": pl.Float64},
)
HOSTILE_COLUMNS = [
    Column("name", "=Name"),
    Column("count", "Zahl", "count"),
    Column("rate", "Quote", "rate"),
]
HOSTILE_HEADER = ["Teilhabe-Monitor – Tabelle", '=HYPERLINK("https://evil.example","x"); Stichtag']


def csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def assert_csv_has_no_formula(data: bytes) -> list[list[str]]:
    rows = csv_cells(data)
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                # a number is not a formula: a negative count stays a number
                assert re.fullmatch(r"-\d+(,\d+)?", cell), cell
    return rows


def xlsx_parts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return {name: book.read(name).decode("utf-8") for name in book.namelist()}


def assert_xlsx_has_no_formula(data: bytes) -> str:
    parts = xlsx_parts(data)
    sheets = [text for name, text in parts.items() if name.startswith("xl/worksheets/")]
    assert sheets
    for text in sheets:
        assert "<f>" not in text and "<f " not in text
        assert "hyperlink" not in text.lower()
    assert not any(name.startswith("xl/worksheets/_rels/") for name in parts)  # no links
    return parts.get("xl/sharedStrings.xml", "")


def test_the_table_exports_write_formulas_as_text() -> None:
    rows = assert_csv_has_no_formula(to_csv(HOSTILE_FRAME, HOSTILE_COLUMNS, HOSTILE_HEADER))
    assert rows[1] == ['\'=HYPERLINK("https://evil.example","x"); Stichtag']
    table = rows[rows.index(["'=Name", "Zahl", "Quote"]) + 1 :]
    assert [r[0] for r in table] == [
        "'" + p if p.startswith(FORMULA_STARTS) else p for p in PAYLOADS
    ]
    assert [r[1] for r in table] == ["-2"] * len(PAYLOADS)  # numbers stay numbers
    shared = assert_xlsx_has_no_formula(to_xlsx(HOSTILE_FRAME, HOSTILE_COLUMNS, HOSTILE_HEADER))
    assert '<t>=HYPERLINK("https://evil.example","x")</t>' in shared  # a text cell


def test_the_check_report_of_an_import_writes_formulas_as_text() -> None:
    report = TableImportReport(
        table="provider", file_name="=x.csv", sha256="0" * 64, file_format="csv", dry_run=True
    )
    for row, payload in enumerate(PAYLOADS, start=2):
        report.problems.append(Problem(payload, row, payload, payload, payload))
    rows = assert_csv_has_no_formula(ui_imports.problems_csv(report))
    assert rows[1] == [PHISH_LINK, "2", PHISH_LINK, PHISH_LINK, PHISH_LINK]
    assert rows[6] == [
        '\'=HYPERLINK("https://evil.example","x")',
        "7",
        *['\'=HYPERLINK("https://evil.example","x")'] * 3,
    ]
    assert [r[3] for r in rows[7:11]] == ["'+1+1", "'@SUM(1)", "'-2+3", "'\t=1"]


@pytest.mark.parametrize("table", list(TABLES))
def test_the_import_templates_hold_no_formula(table: str) -> None:
    assert_csv_has_no_formula(template_csv(table))
    assert_xlsx_has_no_formula(template_xlsx(table))


# --- PDF -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_engine(hostile_sqlite_url):
    engine = create_db_engine(make_url(hostile_sqlite_url))
    yield engine
    engine.dispose()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
def test_the_pdf_report_prints_names_from_data_as_text_without_links(hostile_engine) -> None:
    cases = read_cases(engine=hostile_engine, secret=DEMO_SECRET)
    # every municipality is chosen, so the filter line names each hostile name
    from teilhabe import figures

    names = figures.municipality_names(engine=hostile_engine)
    data = report.build_report(
        hostile_engine,
        cases,
        as_of=AS_OF,
        protection=Protection(),
        filters=Filters(municipalities=tuple(sorted(names))),
        charts="omit",
    )
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode("utf-8")
    flat = " ".join(text.split())
    for name in names.values():
        assert " ".join(name.split()) in flat, name
    assert "**fett** Jobcenter :red[rot]" in flat
    assert b"/URI" not in data and b"/Link" not in data  # no link annotation anywhere


# --- Pages (AppTest): notices and toasts from links ------------------------------------------


def test_a_hostile_barrier_in_the_link_is_named_as_text_in_the_toast(
    monkeypatch, hostile_sqlite_url
) -> None:
    monkeypatch.setenv("TEILHABE_DATABASE_URL", hostile_sqlite_url)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/network.py")
    at.query_params["angebot"] = "[Neu anmelden](https://evil.example/x)"
    at.run()
    assert not at.exception
    toasts = [t.value for t in at.toast]
    assert toasts == [
        "Unbekanntes Hemmnis im Link („\\[Neu anmelden\\]\\(https\u2060\\://evil\\.example/x\\)“) "
        "ignoriert."
    ]


def test_the_latest_import_line_shows_file_and_person_as_text() -> None:
    log = pl.DataFrame(
        {
            "Zeitpunkt (MEZ/MESZ)": ["30.11.2026 10:00"],
            "Tabelle": ["Träger"],
            "Datei": [f"{PHISH_LINK}.csv"],
            "von": ["a@evil.example"],
            "Rolle": [None],
        },
        schema_overrides={"Rolle": pl.String},
    )
    line = ui_imports.latest_import_line(log)
    assert line == (
        "Letzter Import: **\\[Jetzt anmelden\\]\\(https\u2060\\://evil\\.example/phish\\)\\.csv** "
        "in Träger am 30\\.11\\.2026 10\\:00 von **a@\u2060evil\\.example**."
    )
