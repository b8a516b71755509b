"""What a presenter or official sees: every chart's text inside its picture, and no accessibility
violations of impact "serious" or "critical" (axe-core) on any page or slide.

One server and one browser for everything. Each view (page with its parameters, or slide at a
projector's size) is opened once; the chart texts are measured and axe-core runs on the same
load. The exported images (chart PNGs, the PDF report's charts) are rendered by kaleido as SVG,
exactly as for the PNG files, and their texts measured in the same browser.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly.io as pio
import pytest
import streamlit as st
from axe_playwright_python.sync_playwright import Axe
from layout_check import measure_page, measure_svgs, problems
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
PRESENTATION_SIZES = [(1920, 1080), (1400, 1000)]
PAGE_SIZE = (1400, 1000)
PHONE = (390, 844)
PAGES = [
    "",
    "integration",
    # bound widgets take their label in the URL
    "integration?aufgliederung=Zahl+der+Hemmnisse&kennzahl=Ver%C3%A4nderung+des+LZB-Bestands+(K3)",
    "barriers",
    "barriers?hemmnis=debts&hemmnis=health&verknuepfung=all",
    "network_map",
    "network_map?hemmnis=debts",
    "network",
    "data",
]
PHONE_PAGES = ["", "network_map?hemmnis=debts"]
SLIDE_COUNT = 6
SEVERE = {"serious", "critical"}
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# Streamlit shows the elements of a running script faded out: measure and check the final page
SETTLED = """() => !document.querySelector('[data-stale="true"]')
    && !!document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')"""


# every chart drawn at the width of its place on the page (after a resize: drawn anew)
RELAID = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(chart => {
    const svg = chart.querySelector('.js-plotly-plot .main-svg');
    return !!svg && Math.abs(svg.getBoundingClientRect().width
                             - chart.getBoundingClientRect().width) <= 1;
})"""
DRAW_ALL = """() => {
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    const undrawn = charts.filter(chart => !chart.querySelector('.js-plotly-plot .main-svg'));
    if (undrawn.length) { undrawn[0].scrollIntoView(); return false; }
    return true;
}"""


def _settle(page) -> None:
    page.wait_for_selector(READY, timeout=180_000)
    # charts further down are drawn when they come into view: bring each one into view
    page.wait_for_function(DRAW_ALL, polling=200, timeout=90_000)
    page.wait_for_timeout(600)  # plotly draws once more after its first layout
    page.wait_for_function(SETTLED, timeout=60_000)


def _resize(page, width: int, height: int) -> None:
    """Lay the open view out at another size without loading it again. Streamlit and plotly
    react to the window's resize: the charts are drawn anew at their new width, with the same
    sizes and text boxes as after a fresh load at that size (compared once for the phone pages
    and a slide: identical chart sizes and text boxes, the same picture)."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function(RELAID, polling=100, timeout=60_000)
    _settle(page)


def _check(page, axe: Axe | None, name: str) -> dict:
    """Chart texts measured; axe-core run unless ``axe`` is None (a slide's second size: the
    same elements and colours, only the layout differs)."""
    violations = (
        [v for v in axe.run(page).response["violations"] if v["impact"] in SEVERE] if axe else []
    )
    if violations:  # a fade-in may still be running: look once more before reporting
        page.wait_for_timeout(1500)
        violations = [v for v in axe.run(page).response["violations"] if v["impact"] in SEVERE]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # the pictures, for people to look at
    page.screenshot(path=str(ARTIFACTS / f"layout-{re.sub(r'[^A-Za-z0-9]+', '_', name)}.png"))
    return {
        "charts": measure_page(page),
        "violations": violations,
    }


@pytest.fixture(scope="module")
def views(app_server, browser) -> dict[str, dict]:
    """Every page (and the slides at a projector's sizes) opened once: its chart measurements
    and its axe-core violations. A view needed at a second size (the phone pages, the slides at
    the smaller projector) is resized in place and measured again (``_resize``), not loaded
    again. The slides are turned with the keyboard, as in the hall."""
    axe = Axe()
    results = {}

    def check(page, name: str, *, run_axe: bool = True) -> None:
        results[name] = _check(page, axe if run_axe else None, name)

    width, height = PAGE_SIZE
    context = browser.new_context(viewport={"width": width, "height": height}, locale="de-DE")
    page = context.new_page()
    for path in PAGES:
        page.goto(f"{app_server}/{path}", wait_until="domcontentloaded")
        _settle(page)
        check(page, f"/{path} at {width}×{height}")
        if path in PHONE_PAGES:
            _resize(page, *PHONE)
            check(page, f"/{path} at {PHONE[0]}×{PHONE[1]}")
            page.set_viewport_size({"width": width, "height": height})  # for the next page
    context.close()

    (width, height), (small_width, small_height) = PRESENTATION_SIZES
    context = browser.new_context(viewport={"width": width, "height": height}, locale="de-DE")
    page = context.new_page()
    page.goto(f"{app_server}/presentation", wait_until="domcontentloaded")
    for number in range(1, SLIDE_COUNT + 1):
        _settle(page)
        page.wait_for_function(f"() => location.search.includes('folie={number}')")
        check(page, f"slide {number} at {width}×{height}")
        # the smaller projector: the same elements and colours, only the layout differs
        _resize(page, small_width, small_height)
        check(page, f"slide {number} at {small_width}×{small_height}", run_axe=False)
        _resize(page, width, height)
        page.locator("h1").first.click()  # focus the page, not a control
        page.keyboard.press("PageDown")  # what a presenter's clicker sends
    context.close()
    assert len(results) == len(PAGES) + len(PHONE_PAGES) + SLIDE_COUNT * len(PRESENTATION_SIZES)
    return results


def test_every_chart_and_slide_keeps_its_text_inside(views) -> None:
    found = []
    for name, result in views.items():
        for chart in result["charts"]:
            found += problems(chart, f"{name}, chart {chart['index'] + 1}")
    assert sum(len(r["charts"]) for r in views.values()) >= 30  # the charts were there
    assert not found, "\n".join(found)


def test_no_serious_accessibility_violations(views) -> None:
    found = [
        f"{name}: {v['id']} ({v['impact']}): {v['help']} – "
        + "; ".join(str(node["target"]) for node in v["nodes"][:3])
        for name, result in views.items()
        for v in result["violations"]
    ]
    assert not found, "\n".join(found)


# --- Exported images ---------------------------------------------------------------------------

EXPORT_VIEWS = {
    "pages/overview.py": {},
    "pages/integration.py": {
        "aufgliederung": "Zahl der Hemmnisse",
        "kennzahl": "Veränderung des LZB-Bestands (K3)",
    },
    "pages/barriers.py": {"hemmnis": ["debts", "health"], "verknuepfung": "all"},
    "pages/network_map.py": {"hemmnis": "debts"},
    "pages/network.py": {},
}


def _page_figures(demo_sqlite_url: str, monkeypatch) -> list[tuple[str, object, list[str]]]:
    """Every chart the pages draw (as handed to st.plotly_chart), with the note of its PNG."""
    monkeypatch.setenv("TEILHABE_DATABASE_URL", demo_sqlite_url)
    st.cache_resource.clear()
    st.cache_data.clear()
    found = []
    for script, params in EXPORT_VIEWS.items():
        app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
        app.query_params.update(params)
        app.run()
        app.switch_page(script).run()
        assert not app.exception, script
        note = [
            "Jobcenter Landkreis Heidenheim · Stichtag 30.09.2013 · Auswahl: "
            + app.caption[0].value.split(" · ")[-1]
            + " · Demodaten",
            "* aus Gründen der statistischen Geheimhaltung nicht angezeigt",
        ]
        for number, chart in enumerate(app.get("plotly_chart")):
            found.append((f"{script} #{number + 1}", pio.from_json(chart.proto.spec), note))
    return found


def test_exported_images_keep_their_text_inside(
    browser, demo_sqlite_url, demo_engine, demo_cases, monkeypatch
) -> None:
    from teilhabe.demo import AS_OF
    from teilhabe.protection import Protection
    from teilhabe.reporting import images
    from teilhabe.reporting import pdf as report

    figures = _page_figures(demo_sqlite_url, monkeypatch)
    title = "Integrationsquote der Alleinerziehenden (K2E4) nach Dauer des laufenden Bezugs"
    pngs = images.figure_pngs(
        [figure for _, figure, _ in figures],
        titles=[title] * len(figures),
        notes=[note for _, _, note in figures],
        image_format="svg",
        scale=1,
    )
    content = report.report_content(
        demo_engine,
        demo_cases,
        as_of=AS_OF,
        protection=Protection(),
    )
    charts = report.key_figures(content)
    pdf = images.figure_pngs(
        [figure for _, figure in charts],
        width=report.CHART_WIDTH,
        target="pdf",
        image_format="svg",
        scale=1,
    )
    page = browser.new_page()
    names = [f"PNG {name}" for name, _, _ in figures] + [f"PDF „{t}“" for t, _ in charts]
    measured = measure_svgs(page, [svg.decode() for svg in pngs + pdf])
    page.close()
    found = [
        text for chart, name in zip(measured, names, strict=True) for text in problems(chart, name)
    ]
    assert len(measured) == len(names) and all(chart["texts"] for chart in measured)
    assert not found, "\n".join(found)
    # the PNGs say what they show: the title is in the picture
    assert all(
        any(t["kind"] == "heading" for t in chart["texts"]) for chart in measured[: len(figures)]
    )
    assert "Stichtag 30.09.2013" in json.dumps(measured[0], ensure_ascii=False)
