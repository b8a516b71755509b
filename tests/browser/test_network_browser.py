"""The map and the network page in a real browser: drawn offline, nothing leaves the machine."""

from __future__ import annotations

import polars as pl
from playwright.sync_api import expect

from teilhabe import directory as provider_directory

TRACES = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .map(plot => (plot.data || []).map(t => ({
        type: t.type, name: t.name, points: (t.lat || t.locations || []).length })))"""


def test_map_draws_municipalities_and_providers_offline(
    app_server, page, open_app, save_screenshot
) -> None:
    open_app(page, f"{app_server}/network_map?hemmnis=addiction")
    expect(page.get_by_role("heading", name="Netzwerkkarte", exact=True)).to_be_visible()
    plot = page.locator(".js-plotly-plot").first
    expect(plot).to_be_visible()
    expect(plot.locator(".geolayer").first).to_be_attached()  # SVG, no tiles, no font server
    expect(plot.locator("text", has_text="Königsbronn").first).to_be_visible()  # names on it
    traces = page.evaluate(TRACES)[0]
    kinds = {(t["type"], t["name"]) for t in traces}
    assert ("choropleth", "Gemeinden") in kinds
    polygons = next(t for t in traces if t["name"] == "Gemeinden")
    assert polygons["points"] == 11
    providers = [t for t in traces if t["type"] == "scattergeo" and t["name"] != "Gemeindenamen"]
    assert providers and sum(t["points"] for t in providers) >= 1
    # the real 2013 boundaries with their attribution, on the map and in the caption
    locations = page.evaluate(
        """() => document.querySelector('.js-plotly-plot').data
            .find(t => t.name === 'Gemeinden').locations"""
    )
    assert sorted(locations) == [
        "08135010", "08135015", "08135016", "08135019", "08135020", "08135021",
        "08135025", "08135026", "08135027", "08135031", "08135032",
    ]  # fmt: skip
    attribution = "© GeoBasis-DE / BKG 2013 (Daten verändert)"
    expect(page.get_by_text(attribution, exact=True).first).to_be_attached()  # on the map
    expect(page.get_by_text(f"BKG VG250 2013, vereinfacht, {attribution}")).to_be_visible()
    expect(page.get_by_text("Gemeindegrenzen schematisch")).to_have_count(0)
    expect(page.get_by_text("Einwohner: Stand 30.09.2018 bis 31.12.2023").first).to_be_visible()
    expect(page.get_by_role("heading", name="Versorgungslücken")).to_be_visible()
    save_screenshot(page, "network_map")
    assert page.external_requests == []


def test_network_page_from_a_barrier_link(
    app_server, page, open_app, save_screenshot, demo_engine
) -> None:
    directory = provider_directory.provider_directory(engine=demo_engine)
    debts = directory.filter(pl.col("barriers").list.contains("debts")).height
    open_app(page, f"{app_server}/network?angebot=debts")
    expect(page.get_by_role("heading", name="Netzwerk", exact=True)).to_be_visible()
    expect(page.get_by_role("combobox", name="Hemmnis", exact=True)).to_have_value("Schulden")
    expect(page.get_by_text(f"{debts} von {directory.height} Angeboten")).to_be_visible()
    heading = page.get_by_role("heading", name="Wege: Hemmnis → Leistungsart → Ergebnis")
    heading.scroll_into_view_if_needed()  # charts further down are drawn when they come into view
    expect(page.locator(".js-plotly-plot .sankey").first).to_be_attached()
    traces = page.evaluate(TRACES)
    assert any(t["type"] == "sankey" for plot in traces for t in plot)
    save_screenshot(page, "network")
    assert page.external_requests == []
