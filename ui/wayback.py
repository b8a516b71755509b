"""The way back from the presentation: to the page it was opened from, with that page's URL.

app.py remembers, for every page other than the presentation, the page and its query
parameters (global filters, Stichtag and the page's own choices) at the end of each run.
Leaving the presentation switches back to that page with exactly those parameters; a
presentation opened directly from a link returns to the Übersicht with the link's filters.
"""

from __future__ import annotations

import streamlit as st

PRESENTATION = "pages/presentation.py"
HOME = "pages/overview.py"
_ORIGIN = "_presentation_origin"


def current_params(*, without: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """The URL's query parameters, every value of repeated ones."""
    return {key: st.query_params.get_all(key) for key in st.query_params if key not in without}


def remember(script: str) -> None:
    """Called by app.py after a page other than the presentation has run."""
    if script != PRESENTATION:
        st.session_state[_ORIGIN] = (script, current_params())


def leave_presentation() -> None:
    """Back to where the presentation was opened from (``st.switch_page`` stops this run)."""
    script, params = st.session_state.get(_ORIGIN) or (HOME, current_params(without=("folie",)))
    st.session_state.pop("folie", None)  # the next presentation starts at the link's slide
    st.switch_page(script, query_params=params)
