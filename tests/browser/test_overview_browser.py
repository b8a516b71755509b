"""The Übersicht in a real browser: the app builds its demo database and shows the seed figures."""

from __future__ import annotations

from playwright.sync_api import expect

K2_SEPT_2012 = "25,0\u00a0%"


def test_overview_shows_the_seed_figures(app_server, page, open_app, save_screenshot) -> None:
    open_app(page, app_server)

    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
    expect(page.get_by_test_id("stMetricValue")).to_have_text(
        ["4.230", "2.380", "1.388", "25,2\u00a0%", "20", "11"]
    )
    expect(page.get_by_text("Stichtag 30.09.2013")).to_be_visible()
    expect(page.get_by_text("Demodaten:")).to_be_visible()
    # Both charts drawn by plotly in the page, and the conference in the events table.
    expect(page.locator(".js-plotly-plot")).to_have_count(3)
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    save_screenshot(page, "overview")

    assert page.external_requests == []


def test_as_of_month_from_the_link(app_server, page, open_app) -> None:
    open_app(page, f"{app_server}/?stand=2012-09")

    expect(page.get_by_text("Stichtag 30.09.2012")).to_be_visible()
    expect(page.get_by_test_id("stMetricValue")).to_have_text(
        ["4.350", "2.467", "1.415", K2_SEPT_2012, "20", "11"]
    )
    assert "stand=2012-09" in page.url  # the link stays as it was shared
