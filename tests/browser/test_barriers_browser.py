"""The Hemmnisse page in a real browser: a team lead picks a barrier combination."""

from __future__ import annotations

import polars as pl
from playwright.sync_api import expect

from teilhabe.barriers import group_comparison
from teilhabe.demo import AS_OF
from teilhabe.protection import Protection
from teilhabe.reporting.formatting import format_count, format_percent
from teilhabe.selection import Filters


def test_choosing_barriers_shows_the_group(
    app_server, page, open_app, save_screenshot, demo_cases
) -> None:
    open_app(page, f"{app_server}/barriers?stand=2013-09")
    expect(page.get_by_role("heading", name="Hemmnisse", exact=True)).to_be_visible()
    expect(page.get_by_text("Wählen Sie in der Seitenleiste")).to_be_visible()

    # pick "Schulden" and "Gesundheit" in the sidebar, then "alle zugleich"
    sidebar = page.get_by_test_id("stSidebar")
    barriers = sidebar.get_by_test_id("stMultiSelect").filter(has_text="Hemmnisse")
    for label in ("Schulden", "Gesundheit"):
        barriers.locator("input").click()
        page.get_by_role("option", name=label, exact=True).click()
        page.keyboard.press("Escape")
        expect(
            page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
        ).to_be_attached()
    sidebar.get_by_text("alle zugleich").click()

    expect(page.get_by_text("Hemmnisse (alle zugleich): Schulden, Gesundheit")).to_be_visible()
    # the group's published figures from the data layer (exact: 296, 251, 4.2 %, 1.9 %)
    group = Filters(barriers=("debts", "health"), barrier_mode="all")
    sides = group_comparison(demo_cases, group, AS_OF, Protection())
    mine = sides.filter(pl.col("side") == "group").row(0, named=True)
    expect(page.get_by_test_id("stMetricValue")).to_have_text(
        [
            format_count(mine["elb"]),
            format_count(mine["lzb"]),
            format_percent(mine["integration_rate"]),
            format_percent(mine["integration_rate_lzb"]),
        ]
    )
    # prevalence bars, trend, co-occurrence heatmap, barrier counts, K2 matrix
    plots = page.locator(".js-plotly-plot")
    expect(plots).to_have_count(5)
    heatmaps = page.locator(".js-plotly-plot .heatmaplayer")
    expect(heatmaps).to_have_count(2)
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    assert "hemmnis=debts%2Chealth" in page.url or "hemmnis=debts,health" in page.url
    assert "verknuepfung=all" in page.url
    save_screenshot(page, "barriers_group")
    assert page.external_requests == []
