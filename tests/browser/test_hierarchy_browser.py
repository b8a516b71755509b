"""Several Jobcenters in a real browser: the Jobcenter choice narrows the municipality list.

The app runs on a demo of three districts (``teilhabe demo --clients 3000 --districts 3``):
Landkreis Heidenheim and two synthetic ones in the non-existent Land 99, 11 municipalities each.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

REPO = Path(__file__).resolve().parents[2]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
VIEWPORTS = {"desktop": (1920, 1080), "laptop": (1400, 1000), "phone": (390, 844)}


@pytest.fixture(scope="module")
def districts_server(start_streamlit, tmp_path_factory) -> str:
    from sqlalchemy.engine import make_url

    from data_access.db import create_db_engine, ensure_schema
    from teilhabe.demo import load_demo
    from teilhabe.demo.spec import DemoSpec

    url = f"sqlite:///{tmp_path_factory.mktemp('districts') / 'districts.sqlite'}"
    engine = create_db_engine(make_url(url))
    ensure_schema(engine, allow_upgrade=True)
    load_demo(engine, DemoSpec(clients=3000, districts=3))
    engine.dispose()
    return start_streamlit(
        REPO / "app.py",
        env={
            "TEILHABE_DATABASE_URL": url,
            "TEILHABE_CELL_KEY_SECRET": None,
            "TEILHABE_MIN_RATE_BASE": None,
        },
    )


def municipality_options(page, sidebar) -> list[str]:
    places = sidebar.get_by_test_id("stMultiSelect").filter(has_text="Gemeinden")
    places.locator("input").click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    found = [text for text in options.all_inner_texts() if text != "Select all"]
    page.keyboard.press("Escape")
    return found


def test_the_jobcenter_choice_narrows_the_municipalities(
    districts_server, page, open_app, save_screenshot
) -> None:
    open_app(page, f"{districts_server}/?stand=2013-09")
    sidebar = page.get_by_test_id("stSidebar")
    expect(page.get_by_text("3 Jobcenter in 2 Ländern").first).to_be_visible()
    places = sidebar.get_by_test_id("stMultiSelect").filter(has_text="Gemeinden")
    expect(places.get_by_placeholder("erst ein Jobcenter wählen")).to_be_disabled()
    save_screenshot(page, "hierarchy_all_jobcenters")

    jobcenters = sidebar.get_by_test_id("stMultiSelect").filter(has_text="Jobcenter")
    jobcenters.first.locator("input").click()
    page.get_by_role("option", name="Jobcenter 2", exact=True).click()
    page.keyboard.press("Escape")
    expect(page.locator(READY)).to_be_attached()
    expect(page.get_by_text("Jobcenter 2 · Stichtag").first).to_be_visible()
    assert "jobcenter=99002" in page.url

    # only the municipalities of Jobcenter 2 (the list may draw only the first ones)
    found = municipality_options(page, sidebar)
    assert found[:3] == ["Beispielort 2-1", "Beispielort 2-10", "Beispielort 2-11"]
    assert all(name.startswith("Beispielort 2-") for name in found), found
    assert page.external_requests == []


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_screenshots_of_a_chosen_jobcenter(
    districts_server, browser, open_app, save_screenshot, viewport
) -> None:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="de-DE")
    try:
        page = context.new_page()
        open_app(page, f"{districts_server}/integration?stand=2013-09&jobcenter=08135,99002")
        expect(page.get_by_text("2 Jobcenter in 2 Ländern").first).to_be_visible()
        expect(page.locator(".js-plotly-plot").first).to_be_visible()
        save_screenshot(page, f"hierarchy_integration_{viewport}")
        # the breakdown by place starts at the Land (two here), then the Jobcenters
        breakdown = page.get_by_role("heading", name="Integrationsquote (K2) nach Land")
        breakdown.scroll_into_view_if_needed()
        expect(breakdown).to_be_visible()
        save_screenshot(page, f"hierarchy_breakdown_{viewport}")
        # the map fits both chosen Jobcenters
        open_app(page, f"{districts_server}/network_map?stand=2013-09&jobcenter=08135,99002")
        expect(page.get_by_text("2 Jobcenter in 2 Ländern · Stichtag").first).to_be_visible()
        expect(page.locator(".js-plotly-plot").first).to_be_visible()
        save_screenshot(page, f"hierarchy_map_{viewport}")
    finally:
        context.close()
