"""Text from data or a URL is shown as text: no Markdown, no link, no HTML (issue 18)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from teilhabe.reporting.text import html_text, markdown_text

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PHISHING = "[Neu anmelden](https://evil.example/x)"


def test_markdown_text_escapes_every_markup_character() -> None:
    # the word joiner (U+2060) keeps GFM from finding a bare address after the escapes are read
    assert markdown_text(PHISHING) == "\\[Neu anmelden\\]\\(https\u2060\\://evil\\.example/x\\)"
    assert markdown_text("www.evil.example a@evil.example HTTP://x") == (
        "www\u2060\\.evil\\.example a@\u2060evil\\.example HTTP\u2060\\://x"
    )
    assert markdown_text("**fett** <b>x</b> `code` # Titel") == (
        r"\*\*fett\*\* \<b\>x\</b\> \`code\` \# Titel"
    )
    assert markdown_text("Zeile\nzwei") == "Zeile zwei"
    assert markdown_text(None) == ""


def test_html_text_escapes_tags_and_quotes() -> None:
    # quotes as numeric references: plotly decodes those, but shows "&quot;" as it is
    assert html_text('<a href="https://evil.example">x</a>') == (
        "&lt;a href=&#34;https://evil.example&#34;&gt;x&lt;/a&gt;"
    )
    assert html_text("<span style='font-size:90px'>") == (
        "&lt;span style=&#39;font-size:90px&#39;&gt;"
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

    from teilhabe import directory as provider_directory
    from teilhabe.reporting import maps

    directory = provider_directory.provider_directory(engine=demo_engine).with_columns(
        pl.lit('<a href="https://evil.example">Hier</a>').alias("provider")
    )
    reach = pl.DataFrame(schema={"provider_id": pl.String, "clients": pl.Int64})
    points = maps.provider_points(directory, reach, {})
    assert points.height > 0
    assert all("<a " not in hover for hover in points["hover"].to_list())
    assert all("&lt;a href=" in hover for hover in points["hover"].to_list())
