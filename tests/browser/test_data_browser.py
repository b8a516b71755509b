"""The Daten page in a real browser without login (the local default): data quality and the
import log, but no upload and no import."""

from __future__ import annotations

from playwright.sync_api import expect


def test_data_page_opens_with_its_tabs(app_server, page, open_app, save_screenshot) -> None:
    open_app(page, f"{app_server}/data")
    expect(page.get_by_role("heading", name="Daten", exact=True)).to_be_visible()
    for tab in ("Datenqualität", "Importprotokoll"):
        expect(page.get_by_role("tab", name=tab, exact=True)).to_be_visible()
    expect(page.get_by_role("tab", name="Import", exact=True)).to_have_count(0)
    expect(page.get_by_text("Import nur mit Anmeldung.")).to_be_visible()
    expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
    save_screenshot(page, "data_page_anonymous")
    page.get_by_role("tab", name="Datenqualität", exact=True).click()
    quality = page.get_by_role("tabpanel", name="Datenqualität")
    expect(quality.get_by_test_id("stDataFrame").first).to_be_visible()
    save_screenshot(page, "data_quality")
    assert page.external_requests == []
