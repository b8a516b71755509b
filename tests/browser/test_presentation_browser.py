"""Presentation mode in a real browser: slides turned with the keyboard, each with its chart."""

from __future__ import annotations

from playwright.sync_api import expect

from teilhabe.reporting.formatting import format_count
from teilhabe.selection import Filters

READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
SLIDES = [
    ("Kennzahlen", '[data-testid="stMetricValue"]'),
    ("Integrationsquote", ".js-plotly-plot .scatterlayer"),
    ("Hemmnisse", ".js-plotly-plot .barlayer"),
    ("Netzwerkkarte", ".js-plotly-plot .geolayer"),  # SVG, names drawn on it
    ("Reichweite des Netzwerks", ".js-plotly-plot .barlayer"),
    ("Netzwerkveranstaltungen", ".js-plotly-plot .scatterlayer"),
]


def test_slides_advance_with_the_keyboard(
    app_server, page, open_app, save_screenshot, published_headline
) -> None:
    heidenheim = published_headline(filters=Filters(municipalities=("08135019",)))
    assert abs(heidenheim["elb"] - 1879) <= 2  # exact: 1,879
    open_app(page, f"{app_server}/presentation?gemeinde=08135019")
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()  # no sidebar or chrome in the hall
    for number, (title, chart) in enumerate(SLIDES, start=1):
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        expect(page.get_by_text(f"Folie {number} von {len(SLIDES)}")).to_be_visible()
        expect(page.get_by_text("Gemeinden: Heidenheim an der Brenz")).to_be_visible()
        expect(page.locator(chart).first).to_be_attached()
        if number == 1:
            expect(page.get_by_test_id("stMetricValue").first).to_have_text(
                format_count(heidenheim["elb"])
            )
            save_screenshot(page, "presentation_first")
        page.get_by_role("heading", name=title, exact=True).click()  # focus the page, not a field
        page.keyboard.press("ArrowRight")
    expect(page.get_by_role("heading", name="Kennzahlen", exact=True)).to_be_visible()  # wraps
    page.get_by_role("heading", name="Kennzahlen", exact=True).click()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("heading", name="Netzwerkveranstaltungen", exact=True)).to_be_visible()
    assert "folie=6" in page.url
    assert page.external_requests == []


def test_leaving_returns_to_the_page_it_came_from(app_server, page, open_app) -> None:
    """Esc (or "Beenden") goes back to the page with its URL: filters, Stichtag, its choices."""
    params = "gemeinde=08135019&stand=2012-09&aufgliederung=Zahl+der+Hemmnisse"
    open_app(page, f"{app_server}/integration?{params}")
    expect(page.get_by_text("Stichtag 30.09.2012").first).to_be_visible()
    page.get_by_test_id("stSidebarNav").get_by_text("Präsentation").click()
    expect(page.get_by_role("heading", name="Kennzahlen", exact=True)).to_be_visible()
    expect(page.get_by_text("Stichtag 30.09.2012").first).to_be_visible()
    expect(page.get_by_text("Folie 1 von 6")).to_be_visible()  # the controls are there too
    page.wait_for_selector(READY)  # the run is done: every key's button is on the page
    page.get_by_role("heading", name="Kennzahlen", exact=True).click()
    page.keyboard.press("PageDown")  # a presenter's clicker
    expect(page.get_by_role("heading", name="Integrationsquote", exact=True)).to_be_visible()
    expect(page.get_by_text("Folie 2 von 6")).to_be_visible()
    page.wait_for_selector(READY)
    page.get_by_role("heading", name="Integrationsquote", exact=True).click()
    page.keyboard.press("PageUp")
    expect(page.get_by_role("heading", name="Kennzahlen", exact=True)).to_be_visible()
    expect(page.get_by_text("Folie 1 von 6")).to_be_visible()
    page.wait_for_selector(READY)
    page.get_by_role("heading", name="Kennzahlen", exact=True).click()
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", name="Integration", exact=True)).to_be_visible()
    page.wait_for_url("**/integration?*")
    for part in params.split("&"):
        assert part in page.url
    expect(page.get_by_text("Stichtag 30.09.2012").first).to_be_visible()
    expect(page.get_by_text("Gemeinden: Heidenheim an der Brenz").first).to_be_visible()
    expect(page.get_by_role("heading", name="nach Zahl der Hemmnisse")).to_be_visible()


def test_an_unknown_path_gets_a_german_page(app_server, page, open_app) -> None:
    open_app(page, f"{app_server}/gibt-es-nicht")
    expect(page.get_by_role("heading", name="Seite nicht gefunden")).to_be_visible()
    expect(page.get_by_role("link", name="Zur Übersicht")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
