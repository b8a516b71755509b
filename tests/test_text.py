"""Text from data or a URL is shown as text: no Markdown, no link, no HTML (issue 18)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from ui.text import html_text, markdown_text

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PHISHING = "[Neu anmelden](https://evil.example/x)"


def test_markdown_text_escapes_every_markup_character() -> None:
    assert markdown_text(PHISHING) == r"\[Neu anmelden\]\(https\://evil\.example/x\)"
    assert markdown_text("**fett** <b>x</b> `code` # Titel") == (
        r"\*\*fett\*\* \<b\>x\</b\> \`code\` \# Titel"
    )
    assert markdown_text("Zeile\nzwei") == "Zeile zwei"
    assert markdown_text(None) == ""


def test_html_text_escapes_tags_and_quotes() -> None:
    assert html_text('<a href="https://evil.example">x</a>') == (
        "&lt;a href=&quot;https://evil.example&quot;&gt;x&lt;/a&gt;"
    )
    assert html_text('<span style="font-size:90px">') == (
        "&lt;span style=&quot;font-size:90px&quot;&gt;"
    )


def test_a_hostile_link_parameter_is_named_as_text(monkeypatch, demo_sqlite_url) -> None:
    monkeypatch.setenv("TEILHABE_DATABASE_URL", demo_sqlite_url)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["gemeinde"] = PHISHING
    at.run()
    assert not at.exception
    notices = [w.value for w in at.sidebar.warning]
    assert notices and all("](" not in n for n in notices)
    assert any(r"\[Neu anmelden\]" in n for n in notices)


def test_provider_names_in_the_map_hover_are_text(demo_engine) -> None:
    import polars as pl

    from data_access import network
    from ui import maps

    directory = network.provider_directory(engine=demo_engine).with_columns(
        pl.lit('<a href="https://evil.example">Hier</a>').alias("provider")
    )
    reach = pl.DataFrame(schema={"provider_id": pl.String, "clients": pl.Int64})
    points = maps.provider_points(directory, reach, {})
    assert points.height > 0
    assert all("<a " not in hover for hover in points["hover"].to_list())
    assert all("&lt;a href=" in hover for hover in points["hover"].to_list())
