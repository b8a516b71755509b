"""Teilhabe-Monitor: the router. Global filters live in the sidebar and apply to every page."""

from pathlib import Path

import streamlit as st

from ui import auth, data, filters

ICON = str(Path(__file__).parent / "ui" / "assets" / "favicon.png")

# A local icon: a ":material/...:" page icon would be fetched from a font server.
st.set_page_config(page_title="Teilhabe-Monitor", page_icon=ICON, layout="wide")
pages = [
    st.Page("pages/overview.py", title="Übersicht", icon=":material/dashboard:", default=True),
    st.Page("pages/integration.py", title="Integration", icon=":material/trending_up:"),
    st.Page("pages/barriers.py", title="Hemmnisse", icon=":material/extension:"),
    st.Page("pages/network_map.py", title="Netzwerkkarte", icon=":material/map:"),
    st.Page("pages/network.py", title="Netzwerk", icon=":material/hub:"),
    st.Page("pages/presentation.py", title="Präsentation", icon=":material/slideshow:"),
    st.Page("pages/data.py", title="Daten", icon=":material/database:"),
]
# With login configured: only a logged-in person with a role gets past this (ui/auth.py).
actor = auth.gate(pages)
page = st.navigation(pages)
with st.sidebar:
    st.markdown("### :material/hub: Teilhabe-Monitor")
    auth.sidebar(actor)
# The filters need data; the Daten page must also work on an empty database, where the first
# data come in (elsewhere the filters explain that the database is empty).
if page.title != "Daten" or data.has_receipt_data():
    filters.sidebar()
page.run()
