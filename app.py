"""Teilhabe-Monitor: the router. Global filters live in the sidebar and apply to every page."""

from pathlib import Path

import streamlit as st

from ui import auth, data, filters, shell, wayback
from ui.serve import known_addresses

# Streamlit would ask checkip.amazonaws.com for the machine's address when a websocket comes from
# another origin; ``ui.serve`` (how the scripts start the app) sets the addresses before the
# server starts, and this covers a plain `streamlit run app.py` from its first page run on.
known_addresses()

ICON = str(Path(__file__).parent / "ui" / "assets" / "favicon.png")

# A local icon: a ":material/...:" page icon would be fetched from a font server.
st.set_page_config(page_title="Teilhabe-Monitor", page_icon=ICON, layout="wide")

scripts = {
    "pages/overview.py": ("Übersicht", ":material/dashboard:"),
    "pages/integration.py": ("Integration", ":material/trending_up:"),
    "pages/barriers.py": ("Hemmnisse", ":material/extension:"),
    "pages/network_map.py": ("Netzwerkkarte", ":material/map:"),
    "pages/network.py": ("Netzwerk", ":material/hub:"),
    "pages/presentation.py": ("Präsentation", ":material/slideshow:"),
    "pages/data.py": ("Daten", ":material/database:"),
}
pages = {
    st.Page(script, title=title, icon=icon, default=script == wayback.HOME): script
    for script, (title, icon) in scripts.items()
}
# With login configured: only a logged-in person with a role gets past this (ui/auth.py).
actor = auth.gate(list(pages))
missing = shell.unknown_path({p.url_path for p in pages} | {""})
if missing:  # a German page instead of Streamlit's English "Page not found" dialog
    pages[st.Page(shell.page_not_found, title="Seite nicht gefunden", url_path=missing,
                  visibility="hidden")] = "not_found"  # fmt: skip
page = st.navigation(list(pages))
shell.global_style()
with st.sidebar:  # the app's name, not a heading: each page starts with its own h1
    st.markdown("**:material/hub: Teilhabe-Monitor**")
    auth.sidebar(actor)
# The filters need data; the Daten page must also work on an empty database, where the first
# data come in (elsewhere the filters explain that the database is empty).
if pages[page] == "not_found":
    pass  # no filters on a page that does not exist
elif page.title != "Daten" or data.has_receipt_data():
    filters.sidebar()
page.run()
if pages[page] != "not_found":
    wayback.remember(pages[page])  # the page and its URL, for the way back from the presentation
