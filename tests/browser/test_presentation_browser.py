"""Presentation mode in a real browser: slides turned with the keyboard, each with its chart."""

from __future__ import annotations

from playwright.sync_api import expect

from data_access.indicators import Filters
from teilhabe.formatting import format_count

SLIDES = [
    ("Kennzahlen", '[data-testid="stMetricValue"]'),
    ("Integrationsquote", ".js-plotly-plot .scatterlayer"),
    ("Hemmnisse", ".js-plotly-plot .barlayer"),
    ("Netzwerkkarte", ".js-plotly-plot canvas"),
    ("Reichweite des Netzwerks", ".js-plotly-plot .barlayer"),
    ("Netzwerkveranstaltungen", ".js-plotly-plot .scatterlayer"),
]


def test_slides_advance_with_the_keyboard(
    app_server, page, open_app, save_screenshot, published_headline
) -> None:
    heidenheim = published_headline(filters=Filters(municipalities=("08135019",)))
    assert abs(heidenheim["elb"] - 1855) <= 2  # exact: 1,855
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
