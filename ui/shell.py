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
