"""The PDF report for officials and the chart images: what they say, and what they never show.

The PDF's text is read back with pypdf: the Stichtag, the filters in words, the figures of the
Übersicht (and of ``teilhabe figures --json`` for a filter), the data layer's published values
(cell-key method) in the table by municipality -- never a count of 1 or 2, and "–" exactly where
a rate's published base is too small.
"""

from __future__ import annotations

import ast
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
import pytest
from pypdf import PdfReader

from teilhabe import figures
from teilhabe.cli.main import main
from teilhabe.demo import AS_OF
from teilhabe.protection import MAX_DEVIATION, Protection
from teilhabe.reporting import images, pdf_document
from teilhabe.reporting import pdf as report
from teilhabe.reporting.formatting import NOT_SHOWN, format_count, format_decimal, format_percent
from teilhabe.selection import Filters, describe_filters
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = Protection()  # as the app and the CLI publish (the demo's documented secret)
HEIDENHEIM = "08135019"
# A group small enough for "–" in the table by municipality.
SMALL_GROUP = Filters(sexes=("f",), barriers=("addiction",))
SMALL_GROUP_ARGS = ["--sex", "f", "--barrier", "addiction"]


def pdf_text(data: bytes) -> str:
    """The text of every page, with no-break spaces as plain spaces."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")


def line_starting(text: str, start: str) -> str:
    lines = [line for line in text.splitlines() if line.startswith(start)]
    assert lines, f"no line starting with {start!r}"
    return lines[0]


@pytest.fixture(scope="module")
def cases(demo_cases):
    return demo_cases  # read_cases of the demo with DEMO_SECRET, read once per run


@pytest.fixture(scope="module")
def demo_report(demo_sqlite_url, tmp_path_factory) -> tuple[bytes, str]:
    """The report of the demo without filters, through the CLI with charts: file and stdout."""
    path = tmp_path_factory.mktemp("report") / "bericht.pdf"
    out = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(out):
        code = main(["report", "--pdf", str(path), "--database-url", demo_sqlite_url])
    assert code == 0
    return path.read_bytes(), out.getvalue()


def build(engine, cases, filters: Filters | None = None, **kwargs) -> bytes:
    """The report as the app builds it, by default without charts (quicker)."""
    options = {"charts": "omit", **kwargs}
    return report.build_report(
        engine, cases, as_of=AS_OF, protection=PUBLISHED, filters=filters, **options
    )


def headline(engine, cases, as_of: int = AS_OF, filters: Filters | None = None) -> dict:
    """The published headline figures of the data layer."""
    return figures.headline_figures(
        engine=engine, cases=cases, as_of=as_of, protection=PUBLISHED, filters=filters
    ).to_dict()


def count_columns(now: dict, before: dict, key: str) -> list[str]:
    """A count's three numbers in the headline table: now, a year before, the change."""
    change = now[key] - before[key]
    sign = "+" if change > 0 else ""
    return [format_count(now[key]), format_count(before[key]), f"{sign}{format_count(change)}"]


# --- The report of the demo ------------------------------------------------------------------


def test_the_cli_writes_the_report_of_the_demo(demo_report) -> None:
    data, out = demo_report
    assert data.startswith(b"%PDF-")
    assert out.startswith("Bericht zum Stichtag 30.09.2013 geschrieben: ")
    text = pdf_text(data)
    assert "Teilhabe-Monitor – Bericht" in text
    assert "Jobcenter Landkreis Heidenheim" in text
    assert "Stichtag: 30.09.2013" in text and "Datenstand: 30.09.2013" in text
    assert "Auswahl: alle Personen" in text
    assert "Demodaten" in text


def test_the_report_has_the_figures_of_the_overview_page(demo_report, demo_engine, cases) -> None:
    text = pdf_text(demo_report[0])
    # the cards of the Übersicht (tests/test_app.py): the data layer's published figures, with
    # the year before and the change; exact: 4,230 / 4,350, 2,380 / 2,467, 1,388 / 1,415
    now, before = headline(demo_engine, cases), headline(demo_engine, cases, AS_OF - 12)
    for key, exact in (("elb", 4230), ("lzb", 2380), ("lzb_4y_plus", 1388)):
        assert abs(now[key] - exact) <= MAX_DEVIATION, key
    for key, exact in (("elb", 4350), ("lzb", 2467), ("lzb_4y_plus", 1415)):
        assert abs(before[key] - exact) <= MAX_DEVIATION, key
    assert line_starting(text, "ELB ").split()[-5:-2] == count_columns(now, before, "elb")
    assert line_starting(text, "LZB Langzeit").split()[-5:-2] == count_columns(now, before, "lzb")
    assert line_starting(text, "LZB ≥ 4 Jahre").split()[-5:-2] == count_columns(
        now, before, "lzb_4y_plus"
    )
    rates = [round(now["integration_rate"], 1), round(before["integration_rate"], 1)]
    assert abs(rates[0] - 25.2) < 0.5 and abs(rates[1] - 25.0) < 0.5  # exact: 25.2 and 25.0
    change = rates[0] - rates[1]
    assert line_starting(text, "K2 Integrationsquote").endswith(
        f"{format_decimal(rates[0])} % {format_decimal(rates[1])} % "
        f"{'+' if change > 0 else ''}{format_decimal(change)} Prozentpunkte"
    )
    for code in ("K1E2", "K1E3", "K1E4", "K2E3", "K2E4", "K3", "K3E1", "K3E2", "K3E3", "K3E4"):
        assert re.search(rf"^{code} .* Prozentpunkte$", text, flags=re.MULTILINE), code
    # the network facts of the Übersicht
    assert "20 Träger und Behörden im Netzwerk, 11 Gemeinden im Zuständigkeitsgebiet." in text
    assert "24.09.2013 2. Netzwerkkonferenz mit Markt der Möglichkeiten 150 20" in text
    # the source of the boundaries, with the attribution BKG asks for
    assert (
        "Netzwerkkarte: BKG VG250 2013, vereinfacht, © GeoBasis-DE / BKG 2013 (Daten verändert)."
        in " ".join(text.split())
    )


def test_the_report_has_the_charts_definitions_and_confidentiality_note(demo_report) -> None:
    data, _ = demo_report
    reader = PdfReader(io.BytesIO(data))
    assert sum(len(page.images) for page in reader.pages) == 4
    text = pdf_text(data)
    for title in (
        "Entwicklung der Bestände",
        "Integrationsquote (K2)",
        "LZB nach Dauer des laufenden Bezugs",
        "Integrationsquote (K2) nach Gemeinde",
        "Nach Gemeinden",
        "Begriffe",
        "Langzeitleistungsbeziehende (LZB)",
        "Aktivierungsquote der LZB (K3E2)",
    ):
        assert title in text, title
    note = PUBLISHED.note.split(" (")[0]  # "Zum Schutz der Sozialdaten ist jede Fallzahl ..."
    assert note.startswith("Zum Schutz der Sozialdaten")
    # in the footer of every page and once more at the end, with the method
    assert text.count(note) == len(reader.pages) + 1
    assert "Cell-Key-Methode" in text and "*" not in text
    assert re.search(r"Seite 1 von \d+", text)


# --- Filters ---------------------------------------------------------------------------------


def test_a_municipality_filter_gives_the_figures_of_teilhabe_figures(
    demo_engine, cases, demo_sqlite_url, capsys
) -> None:
    args = ["figures", "--json", "--municipality", HEIDENHEIM, "--database-url", demo_sqlite_url]
    assert main(args) == 0
    printed = json.loads(capsys.readouterr().out)
    text = pdf_text(build(demo_engine, cases, Filters(municipalities=(HEIDENHEIM,))))
    assert "Auswahl: Gemeinden: Heidenheim an der Brenz" in text
    for key, short, _, kind in report.HEADLINE:
        value = printed[key]
        shown = format_count(value) if kind == "count" else format_percent(value)
        line = re.search(rf"^{re.escape(short)} .*$", text, flags=re.MULTILINE)
        assert line and f" {shown.replace(chr(160), ' ')} " in line.group(0), (key, shown)
    assert 0 < printed["elb"] < 4230


def test_the_filters_are_named_as_in_the_app(demo_engine, cases) -> None:
    chosen = Filters(
        municipalities=(HEIDENHEIM,),
        sexes=("f",),
        barriers=("debts", "health"),
        barrier_mode="all",
    )
    text = pdf_text(build(demo_engine, cases, chosen))
    expected = describe_filters(chosen, figures.municipality_names(engine=demo_engine))
    assert expected == (
        "Gemeinden: Heidenheim an der Brenz; Geschlecht: weiblich; "
        "Hemmnisse (alle zugleich): Schulden, Gesundheit"
    )
    assert f"Auswahl: {expected}" in " ".join(text.split())
    # the group of the chosen barriers is defined, too
    assert "Gruppe der gewählten Hemmnisse" in text


# --- Confidentiality -------------------------------------------------------------------------


def municipality_rows(text: str, names: dict[str, str]) -> dict[str, list[str]]:
    """The rows of the table by municipality: name -> its six values as printed."""
    rows = {}
    for line in text.splitlines():
        for name in [*names.values(), "Insgesamt"]:
            rest = line.removeprefix(f"{name} ")
            if rest != line:
                tokens = rest.replace(" %", "%").split()
                if len(tokens) == 6 and all(
                    re.fullmatch(rf"{NOT_SHOWN}|[\d.]+|[\d.]+,\d%", t) for t in tokens
                ):
                    rows[name] = tokens
    return rows


def test_the_published_values_no_count_of_1_or_2_and_dashes_for_too_small_groups(
    demo_engine, cases
) -> None:
    text = pdf_text(build(demo_engine, cases, SMALL_GROUP))
    names = figures.municipality_names(engine=demo_engine)
    rows = municipality_rows(text, names)
    assert len(rows) == len(names) + 1  # every municipality and the total
    groups = figures.breakdown_series(
        cases=cases,
        by="municipality",
        months=[AS_OF - 12, AS_OF],
        protection=PUBLISHED,
        filters=SMALL_GROUP,
    )
    dashes = 0
    for ags, name in names.items():
        printed = rows[name]
        expected = []
        for key in ("elb", "lzb", "integration_rate"):
            for month in (AS_OF, AS_OF - 12):
                value = groups.filter((pl.col("municipality") == ags) & (pl.col("month") == month))[
                    key
                ].item()
                expected.append(value)
        for shown, value, column in zip(printed, expected, range(6), strict=True):
            if column < 4:  # counts: the published ones, every one shown
                assert shown == format_count(value), (name, column)
            elif value is None:  # a rate whose published base is below 10
                assert shown == NOT_SHOWN, (name, column)
                dashes += 1
            else:
                assert shown == format_percent(value).replace("\u00a0", ""), (name, column)
    assert dashes > 0, "the small group should have municipalities too small for a rate"
    # the total row is the headline figures of the whole group
    now = headline(demo_engine, cases, filters=SMALL_GROUP)
    before = headline(demo_engine, cases, AS_OF - 12, filters=SMALL_GROUP)
    assert rows["Insgesamt"][:4] == [
        format_count(v) for v in (now["elb"], before["elb"], now["lzb"], before["lzb"])
    ]
    # the counts of the whole table, total row included: never 1 or 2
    counts = [int(t.replace(".", "")) for tokens in rows.values() for t in tokens[:4]]
    assert not {1, 2} & set(counts)


def test_the_headline_table_shows_dashes_for_rates_of_too_small_groups(demo_engine, cases) -> None:
    chosen = Filters(municipalities=("08135010",), sexes=("f",), barriers=("addiction",))
    now = headline(demo_engine, cases, filters=chosen)
    text = pdf_text(build(demo_engine, cases, chosen))
    for key, short, _, kind in report.HEADLINE:
        line = re.search(rf"^{re.escape(short)} .*$", text, flags=re.MULTILINE).group(0)
        value = now[key]
        shown = format_count(value) if kind == "count" else format_percent(value)
        assert f" {shown.replace(chr(160), ' ')} " in f"{line} ", (key, line)
        if kind == "count":
            assert value is not None and value not in (1, 2), (key, value)
    assert any(now[key] is None for key, *_ in report.HEADLINE)  # "–"


# --- Command line errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2014-01"], "Fehler: --as-of 2014-01 liegt nach dem Datenstand (2013-09)."),
        (["--as-of", "1999-01"], "liegt vor dem ersten auswertbaren Monat"),
        (["--municipality", "99999999"], "Fehler: Unbekannte Gemeinde(n): 99999999."),
    ],
)
def test_wrong_arguments_give_one_german_line_and_no_file(
    demo_sqlite_url, tmp_path, capsys, args, message
) -> None:
    path = tmp_path / "bericht.pdf"
    code = main(["report", "--pdf", str(path), *args, "--database-url", demo_sqlite_url])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert message in err and err.startswith("Fehler: ")
    assert len(err.strip().splitlines()) == 1
    assert not path.exists()


def test_a_file_that_cannot_be_written_is_named(demo_sqlite_url, tmp_path, capsys) -> None:
    for target, reason in (
        (tmp_path / "fehlt" / "bericht.pdf", "Der Ordner existiert nicht"),
        (tmp_path, "Das ist ein Ordner"),
    ):
        code = main(["report", "--pdf", str(target), "--database-url", demo_sqlite_url])
        err = capsys.readouterr().err
        assert code == 2
        assert err == f"Fehler: {target} kann nicht geschrieben werden: {reason}.\n"


def test_the_pdf_option_is_required(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report"])
    assert exit_info.value.code == 2
    assert "--pdf" in capsys.readouterr().err


def test_without_chromium_the_cli_fails_clearly_and_no_charts_helps(
    demo_sqlite_url, tmp_path, capsys, monkeypatch
) -> None:
    def no_browser(*args, **kwargs):
        raise images.ChartRenderError("Diagramme konnten nicht als Bild erzeugt werden.")

    monkeypatch.setattr(images, "figure_pngs", no_browser)
    path = tmp_path / "bericht.pdf"
    base = ["report", "--pdf", str(path), "--database-url", demo_sqlite_url]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert "--no-charts" in err and len(err.strip().splitlines()) == 1
    assert not path.exists()
    assert main([*base, "--no-charts"]) == 0
    assert sum(len(page.images) for page in PdfReader(path).pages) == 0


def test_the_app_gets_a_report_with_a_note_when_charts_fail(
    demo_engine, cases, monkeypatch
) -> None:
    def no_browser(*args, **kwargs):
        raise images.ChartRenderError("kein Chromium")

    monkeypatch.setattr(images, "figure_pngs", no_browser)
    with pytest.raises(images.ChartRenderError):
        build(demo_engine, cases, charts="include")
    text = pdf_text(build(demo_engine, cases, charts="try"))
    assert report.CHARTS_MISSING_NOTE in text
    assert format_count(headline(demo_engine, cases)["lzb"]) in text


# --- Font --------------------------------------------------------------------------------------


def test_without_a_truetype_font_the_core_font_gets_replacements(
    demo_engine, cases, monkeypatch
) -> None:
    choose = report.report_font
    monkeypatch.setattr(report, "report_font", lambda: choose(()))
    text = pdf_text(build(demo_engine, cases))
    assert "Teilhabe-Monitor - Bericht" in text
    now, before = headline(demo_engine, cases), headline(demo_engine, cases, AS_OF - 12)
    assert line_starting(text, "LZB >= 4 Jahre").split()[-5:-2] == [
        column.replace("\u2212", "-") for column in count_columns(now, before, "lzb_4y_plus")
    ]  # the core font has no minus sign
    assert "Langzeitleistungsbeziehende" in text and "Erwerbsfähige" in text


def test_a_font_without_the_german_characters_is_not_chosen(tmp_path) -> None:
    assert pdf_document.report_font(()).regular is None
    missing = (("Nothing", str(tmp_path / "a.ttf"), str(tmp_path / "b.ttf")),)
    assert pdf_document.report_font(missing).family == pdf_document.CORE_FONT
    assert pdf_document.to_latin1("LZB ≥ 4 Jahre – „gut“ → 24,3\u00a0%") == (
        'LZB >= 4 Jahre - "gut" -> 24,3\u00a0%'
    )


# --- Chart images ------------------------------------------------------------------------------


def test_figure_png_gives_a_png() -> None:
    figure = go.Figure(go.Bar(x=["unter 2 Jahre", "4 Jahre und länger"], y=[187, 1388]))
    png = images.figure_png(figure, title="LZB nach Dauer", note=["Stichtag 30.09.2013"])
    assert png.startswith(images.PNG_MAGIC)
    assert png[16:24] == (images.WIDTH * images.SCALE).to_bytes(4, "big") + (
        images.DEFAULT_HEIGHT * images.SCALE
    ).to_bytes(4, "big")
    assert figure.layout.title.text is None  # the figure itself is unchanged


def test_the_image_page_loads_nothing_from_the_internet() -> None:
    from kaleido import PageGenerator

    page = PageGenerator(mathjax=False).generate_index()  # as kaleido.Kaleido(mathjax=False)
    assert "http://" not in page and "https://" not in page
    assert "plotly.min.js" in page


def _network_namespace_works() -> bool:
    unshare = shutil.which("unshare")
    if not unshare:
        return False
    return subprocess.run([unshare, "-rn", "true"], capture_output=True).returncode == 0


def test_figure_png_works_without_network(chromium_path: str) -> None:
    if not _network_namespace_works():
        # like every requirement of the suite: a skip here, an error where CI requires it
        skip_or_fail(
            "no network namespaces (unshare -rn) to cut the network off",
            require_env="TEILHABE_REQUIRE_BROWSER",
        )
    script = (
        "import sys, plotly.graph_objects as go\n"
        "from teilhabe.reporting.images import figure_png, PNG_MAGIC\n"
        "png = figure_png(go.Figure(go.Scatter(y=[1, 3, 2])), title='Ohne Netz')\n"
        "sys.exit(0 if png.startswith(PNG_MAGIC) else 1)\n"
    )
    result = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


# --- Layers ------------------------------------------------------------------------------------


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "path",
    [
        ROOT / "teilhabe" / "reporting" / "charts.py",
        ROOT / "teilhabe" / "reporting" / "pdf.py",
        ROOT / "teilhabe" / "reporting" / "images.py",
        ROOT / "teilhabe" / "selection.py",
    ],
    ids=lambda p: p.name,
)
def test_the_report_needs_no_streamlit(path: Path) -> None:
    assert "streamlit" not in imported_modules(path)


def test_the_cli_report_does_not_load_streamlit() -> None:
    script = (
        "import sys, teilhabe.cli.main, teilhabe.reporting.pdf\n"
        "sys.exit('streamlit' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", script], cwd=ROOT).returncode == 0
