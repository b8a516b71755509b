"""The Übersicht in a real browser: the app builds its demo database and shows the seed figures."""

from __future__ import annotations

from playwright.sync_api import expect

from teilhabe.demo import AS_OF
from teilhabe.protection import MAX_DEVIATION
from teilhabe.reporting.formatting import format_count, format_percent


def cards(figures: dict) -> list[str]:
    """The six cards of the Übersicht as shown."""
    return [
        *(format_count(figures[k]) for k in ("elb", "lzb", "lzb_4y_plus")),
        format_percent(figures["integration_rate"]),
        format_count(figures["providers"]),
        format_count(figures["municipalities"]),
    ]


def near(figures: dict, exact: dict) -> bool:
    return all(abs(figures[k] - v) <= MAX_DEVIATION for k, v in exact.items())


def test_overview_shows_the_seed_figures(
    app_server, page, open_app, save_screenshot, published_headline
) -> None:
    open_app(page, app_server)

    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
    # the seed figures (exact 4,230, 2,380, 1,388, 25.2 %) as published by the data layer
    published = published_headline()
    assert near(published, {"elb": 4230, "lzb": 2380, "lzb_4y_plus": 1388})
    assert abs(published["integration_rate"] - 25.2) < 0.5
    expect(page.get_by_test_id("stMetricValue")).to_have_text(cards(published))
    expect(page.get_by_text("Stichtag 30.09.2013")).to_be_visible()
    expect(page.get_by_text("Demodaten:")).to_be_visible()
    # Both charts drawn by plotly in the page, and the conference in the events table.
    expect(page.locator(".js-plotly-plot")).to_have_count(3)
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    save_screenshot(page, "overview")

    assert page.external_requests == []


def test_as_of_month_from_the_link(app_server, page, open_app, published_headline) -> None:
    open_app(page, f"{app_server}/?stand=2012-09")

    expect(page.get_by_text("Stichtag 30.09.2012")).to_be_visible()
    published = published_headline(AS_OF - 12)  # exact: 4,350, 2,467, 1,415, 25.0 %
    assert near(published, {"elb": 4350, "lzb": 2467, "lzb_4y_plus": 1415})
    assert abs(published["integration_rate"] - 25.0) < 0.5
    expect(page.get_by_test_id("stMetricValue")).to_have_text(cards(published))
    assert "stand=2012-09" in page.url  # the link stays as it was shared
