"""Pieces every page uses: the data-source note, the confidentiality footnote, KPI cards."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from teilhabe.protection import Protection
from teilhabe.reporting.formatting import format_as_of, format_count, format_decimal, format_percent
from teilhabe.reporting.glossary import GLOSSARY, SHORT_LABELS
from teilhabe.reporting.text import markdown_text
from ui.data import Dataset


def page_header(title: str, dataset: Dataset, as_of: int, filter_text: str) -> None:
    st.title(title)
    st.caption(
        f"{markdown_text(dataset.jobcenter)} · Stichtag {format_as_of(as_of)} · "
        f"Datenstand {format_as_of(dataset.as_of)} · {markdown_text(filter_text)}"
    )
    if dataset.synthetic:
        st.info(
            "**Demodaten:** Alle Personen, Zahlen und Träger sind synthetisch erzeugt; die "
            "Namen der Träger sind erfunden. Die Eckwerte zum September 2013 folgen einem "
            "Pressebericht über die 2. Netzwerkkonferenz des Jobcenters Heidenheim.",
            icon=":material/science:",
        )


def count_card(
    key: str, value: int | None, previous: int | None = None, *, lower_is_better: bool = False
) -> None:
    """A KPI card with the glossary entry as help and the change against the previous year."""
    label, definition = SHORT_LABELS.get(key, GLOSSARY[key][0]), GLOSSARY[key][1]
    delta = None
    if value is not None and previous is not None:
        change = value - previous
        delta = f"{'+' if change > 0 else ''}{format_count(change)} ggü. Vorjahr"
    st.metric(
        label,
        format_count(value),
        delta=delta,
        delta_color="inverse" if lower_is_better else "normal",
        help=f"**{GLOSSARY[key][0]}:** {definition}",
        border=True,
    )


def rate_card(
    key: str, value: float | None, previous: float | None = None, *, lower_is_better: bool = False
) -> None:
    """A KPI card for a rate in percent, with the change in percentage points; a rate not shown
    ("–", its published base is below the minimum) says "zu kleine Gruppe"."""
    label, definition = SHORT_LABELS.get(key, GLOSSARY[key][0]), GLOSSARY[key][1]
    delta = None
    colour: Literal["normal", "inverse", "off"] = "inverse" if lower_is_better else "normal"
    arrow: Literal["auto", "off"] = "auto"
    if value is None:
        delta, colour, arrow = "zu kleine Gruppe", "off", "off"
    elif previous is not None:
        change = round(value, 1) - round(previous, 1)
        sign = "+" if change > 0 else ""
        delta = f"{sign}{format_decimal(change, 1)} Prozentpunkte ggü. Vorjahr"
    st.metric(
        label,
        format_percent(value),
        delta=delta,
        delta_color=colour,
        delta_arrow=arrow,
        help=f"**{GLOSSARY[key][0]}:** {definition}",
        border=True,
    )


def empty_group_notice(now: dict) -> None:
    """Say so when the chosen group has no people at the Stichtag (published ELB 0)."""
    if now.get("elb") == 0:
        st.info(
            "Für diese Auswahl gibt es am Stichtag keine Personen: alle Zahlen sind 0, Quoten "
            "entfallen („–“).",
            icon=":material/group_off:",
        )


def headline_cards(now: dict, before: dict) -> None:
    """ELB, LZB, LZB >= 4 years and K2 with their change against the year before, in a row."""
    cards = st.columns(4)
    for column, key in zip(cards, ("elb", "lzb", "lzb_4y_plus"), strict=False):
        with column:
            count_card(key, now[key], before[key], lower_is_better=True)
    with cards[3]:
        rate_card("integration_rate", now["integration_rate"], before["integration_rate"])


def confidentiality_footnote(protection: Protection) -> None:
    """How the numbers are protected, in two plain sentences (``Protection.note``)."""
    st.caption(protection.note, help=None)


def glossary(keys: list[str]) -> None:
    with st.expander("Begriffe", icon=":material/menu_book:"):
        for key in keys:
            term, definition = GLOSSARY[key]
            st.markdown(f"**{term}:** {definition}")
