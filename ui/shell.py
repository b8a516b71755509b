"""Guards every page so that it runs inside the router in app.py."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def require_router() -> None:
    """Make sure the page runs through app.py (sidebar filters, navigation), not on its own.

    Streamlit treats a ``pages/`` folder beside the entry script as an old-style multipage app
    until the process has seen its first ``st.navigation`` call. A deep link opened as the very
    first request after a server start would then run the page file alone, without the global
    filters. Switch the process to the router and run again: the rerun goes through app.py.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def unknown_path(known: set[str]) -> str | None:
    """The path the browser asked for if no page has it (else None).

    Streamlit would answer an unknown path with the main page and an English "Page not found"
    dialog; app.py instead adds a hidden page at that path that says so in German.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or ctx.pages_manager.intended_page_script_hash:
        return None
    name = (ctx.pages_manager.intended_page_name or "").strip("/")
    if not name or name in known or "/" in name or name.startswith("_"):
        return None
    return name


def page_not_found() -> None:
    """The German page for an unknown path."""
    st.title("Seite nicht gefunden")
    st.markdown(
        "Diese Adresse gibt es im Teilhabe-Monitor nicht. Vielleicht ist der Link "
        "unvollständig oder die Seite wurde umbenannt."
    )
    st.page_link("pages/overview.py", label="Zur Übersicht", icon=":material/home:")


# Local CSS for every page (nothing loaded from elsewhere): text contrast of at least 4.5:1
# (WCAG 2.1 AA) where Streamlit greys text out, section headings (h2) at a calm size, and KPI
# cards whose labels and changes wrap instead of being cut off with "…".
GLOBAL_STYLE = """
<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * ,
[data-testid="stWidgetLabel"] *, [data-testid="stMetricLabel"] *, kbd,
[data-testid="stFileUploaderDropzoneInstructions"] *, .stTooltipIcon * {
    color: #4a5561 !important; opacity: 1 !important;
}
[data-testid="stWidgetLabel"] *, [data-testid="stMetricLabel"] * { color: #1b2a38 !important; }
[data-testid="stMainBlockContainer"] h2 { font-size: 1.6rem; padding-top: 1rem; }
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *,
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * {
    white-space: normal !important; overflow: visible !important;
    text-overflow: clip !important; height: auto !important;
}
/* The file uploader's own texts are English and not configurable: German ones in their place
   (CSS content is part of the button's accessible name). */
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] p,
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0 !important; }
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] p::after {
    content: "Datei auswählen"; font-size: 0.875rem;
}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
    content: "UPLOAD_TEXT";
    font-size: 0.875rem;
}
</style>
"""


def global_style() -> None:
    # the uploader's limit as configured (``server.maxUploadSize``, an integer), never a copy
    limit = int(st.get_option("server.maxUploadSize"))
    text = f"Datei hierher ziehen oder auswählen · bis {limit} MB · CSV, TXT, Excel, ODS, Parquet"
    st.html(GLOBAL_STYLE.replace("UPLOAD_TEXT", text))
