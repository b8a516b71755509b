"""The Integration page in a real browser, opened by a deep link with filters."""

from __future__ import annotations

from playwright.sync_api import expect


def test_deep_link_reproduces_a_filtered_view(app_server, page, open_app, save_screenshot) -> None:
    open_app(page, f"{app_server}/integration?stand=2013-09&hemmnis=debts,health&verknuepfung=all")

    expect(page.get_by_role("heading", name="Integration", exact=True)).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Schulden")).to_be_visible()
    expect(sidebar.get_by_text("Gesundheit")).to_be_visible()
    cards = page.get_by_test_id("stMetricValue")
    expect(cards).to_have_count(11)  # K2, K3 and K1 families
    expect(page.locator(".js-plotly-plot")).to_have_count(4)
    save_screenshot(page, "integration_filtered")
    assert page.external_requests == []
