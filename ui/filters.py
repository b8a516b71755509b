"""The global filters: defined once, shown in the sidebar, mirrored in the URL.

app.py calls ``sidebar`` before it runs the page; pages read the choice with ``selection``.
Each filter is seeded from its query parameter when a session opens (a shared link), and the
URL is rewritten from the widgets on every run, so a copied link reproduces the view. A value in
the link that is not valid is ignored with a visible notice; it never reaches the data layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from data_access.periods import format_month as month_key
from data_access.periods import parse_month
from teilhabe.formatting import format_month
from ui import data

AS_OF_KEY = "stand"


@dataclass(frozen=True)
class Selection:
    as_of: int


def sidebar() -> None:
    """Draw the filter widgets; called by app.py for every page."""
    dataset = data.dataset()
    first = data.first_complete_month(dataset.version, years=2) or dataset.as_of
    months = [month_key(m) for m in range(dataset.as_of, min(first, dataset.as_of) - 1, -1)]
    _seed_from_link(AS_OF_KEY, months, "Stichtag")
    with st.sidebar:
        st.markdown("**Filter**")
        st.selectbox(
            "Stichtag",
            months,
            key=AS_OF_KEY,
            format_func=lambda key: format_month(parse_month(key)),
            help="Monat, dessen letzter Tag als Stichtag gilt. Standard: der Datenstand.",
        )
    _mirror_to_link(AS_OF_KEY, default=months[0])


def selection() -> Selection:
    """The current filter choice, as set by the sidebar's widgets earlier in the same run."""
    return Selection(as_of=parse_month(st.session_state[AS_OF_KEY]))


def _seed_from_link(key: str, allowed: list[str], label: str) -> None:
    """On a session's first run, take the filter's value from the URL if it is a valid one."""
    if key in st.session_state:
        return
    raw = st.query_params.get(key)
    if raw is None:
        return
    if raw in allowed:
        st.session_state[key] = raw
    else:
        st.session_state[f"_notice_{key}"] = (
            f"Der Link enthält für „{label}“ den ungültigen Wert „{raw[:40]}“; er wurde ignoriert."
        )
    notice = st.session_state.get(f"_notice_{key}")
    if notice:
        st.toast(notice, icon=":material/link_off:")


def _mirror_to_link(key: str, *, default: str) -> None:
    value = st.session_state[key]
    if value == default:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != value:
        st.query_params[key] = value
