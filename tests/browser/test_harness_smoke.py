"""The browser harness itself works: server start, page load, screenshot, no external requests.

Uses a tiny throwaway Streamlit script instead of app.py, so a broken app cannot hide a broken
harness (and the other way round).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

SMOKE_SCRIPT = """\
import streamlit as st

st.title("Hallo")
st.metric("Zahl", "2.380")
"""


def test_harness_serves_and_renders_a_streamlit_script(
    tmp_path: Path, start_streamlit, page, open_app, save_screenshot
) -> None:
    script = tmp_path / "smoke_app.py"
    script.write_text(SMOKE_SCRIPT, encoding="utf-8")

    url = start_streamlit(script)
    open_app(page, url)

    expect(page.get_by_text("Hallo", exact=True)).to_be_visible()
    expect(page.get_by_text("2.380", exact=True)).to_be_visible()
    screenshot = save_screenshot(page, "harness_smoke")
    assert screenshot.is_file() and screenshot.stat().st_size > 1000

    # Streamlit serves everything itself; nothing may leave the machine.
    assert page.external_requests == []
