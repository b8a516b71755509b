"""The Integration page in a real browser, opened by a deep link with filters."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def test_deep_link_reproduces_a_filtered_view(app_server, page, open_app, save_screenshot) -> None:
    open_app(page, f"{app_server}/integration?stand=2013-09&hemmnis=debts,health&verknuepfung=all")

    expect(page.get_by_role("heading", name="Integration", exact=True)).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Schulden")).to_be_visible()
    expect(sidebar.get_by_text("Gesundheit")).to_be_visible()
    cards = page.get_by_test_id("stMetricValue")
    expect(cards).to_have_count(11)  # K2, K3 and K1 families
    expect(page.locator(".js-plotly-plot")).to_have_count(5)  # the Vergleich's chart as well
    save_screenshot(page, "integration_filtered")
    assert page.external_requests == []


def test_the_comparison_renders_at_every_size(app_server, browser, save_screenshot) -> None:
    """The Vergleich section: its chart with one panel per Kennzahl and the table, marked
    synthetic on the demo, at a desktop, a laptop and a phone."""
    for width, height in ((1920, 1080), (1400, 1000), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="de-DE")
        page = context.new_page()
        page.goto(f"{app_server}/integration?stand=2013-09", wait_until="domcontentloaded")
        heading = page.get_by_role("heading", name="Vergleich", exact=True)
        expect(heading).to_be_visible(timeout=60_000)
        heading.scroll_into_view_if_needed()
        expect(page.get_by_text("Synthetische Vergleichswerte (Demo)")).to_be_visible()
        chart = page.locator(".js-plotly-plot").last
        expect(chart.locator(".legendtext", has_text="Baden-Württemberg")).to_have_count(1)
        expect(
            chart.locator(".gtitle, .annotation-text", has_text="K2 Integrationsquote")
        ).to_have_count(1)
        expect(page.get_by_text("Quelle der Vergleichswerte", exact=False)).to_be_visible()
        page.wait_for_timeout(500)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        chart.screenshot(path=str(ARTIFACTS / f"integration_vergleich_{width}x{height}.png"))
        table = page.get_by_test_id("stDataFrame").last
        table.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"integration_vergleich_table_{width}x{height}.png"))
        save_screenshot(page, f"integration_page_{width}x{height}")
        context.close()
