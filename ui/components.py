"""Pieces every page uses: the data-source note, the confidentiality footnote, KPI cards."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from teilhabe.figures import HeadlineFigures
from teilhabe.protection import Protection
from teilhabe.reporting.formatting import format_as_of, format_change, format_count, format_percent
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
    delta, change = None, 0
    if value is not None and previous is not None:
        change = value - previous
        delta = f"{'+' if change > 0 else ''}{format_count(change)} ggü. Vorjahr"
    colour, arrow = delta_style(change, lower_is_better=lower_is_better)
    st.metric(
        label,
        format_count(value),
        delta=delta,
        delta_color=colour,
        delta_arrow=arrow,
        help=f"**{GLOSSARY[key][0]}:** {definition}",
        border=True,
    )


def delta_style(
    change: float, *, lower_is_better: bool = False
) -> tuple[Literal["green", "red", "off"], Literal["up", "down", "off"]]:
    """Colour and arrow of a change as shown (already rounded): none for no change, green for
    the better direction. Explicit, because the text says "−3,6" with a minus sign that
    Streamlit would not read as negative."""
    if change == 0:
        return "off", "off"
    better = change < 0 if lower_is_better else change > 0
    return ("green" if better else "red"), ("up" if change > 0 else "down")


def rate_card(
    key: str, value: float | None, previous: float | None = None, *, lower_is_better: bool = False
) -> None:
    """A KPI card for a rate in percent, with the change in percentage points; a rate not shown
    ("–", its published base is below the minimum) says "zu kleine Gruppe"."""
    label, definition = SHORT_LABELS.get(key, GLOSSARY[key][0]), GLOSSARY[key][1]
    delta = None
    colour: Literal["green", "red", "off"] = "off"
    arrow: Literal["up", "down", "off"] = "off"
    if value is None:
        delta = "zu kleine Gruppe"
    elif previous is not None:
        change = round(round(value, 1) - round(previous, 1), 1)
        delta = f"{format_change(change, 1)} Prozentpunkte ggü. Vorjahr"
        colour, arrow = delta_style(change, lower_is_better=lower_is_better)
    st.metric(
        label,
        format_percent(value),
        delta=delta,
        delta_color=colour,
        delta_arrow=arrow,
        help=f"**{GLOSSARY[key][0]}:** {definition}",
        border=True,
    )


def empty_group_notice(now: HeadlineFigures | dict) -> None:
    """Say so when the chosen group has no people at the Stichtag (published ELB 0)."""
    elb = now.elb if isinstance(now, HeadlineFigures) else now.get("elb")
    if elb == 0:
        st.info(
            "Für diese Auswahl gibt es am Stichtag keine Personen: alle Zahlen sind 0, Quoten "
            "entfallen („–“).",
            icon=":material/group_off:",
        )


def headline_cards(now: HeadlineFigures, before: HeadlineFigures) -> None:
    """ELB, LZB, LZB >= 4 years and K2 with their change against the year before, in a row."""
    cards = st.columns(4)
    with cards[0]:
        count_card("elb", now.elb, before.elb, lower_is_better=True)
    with cards[1]:
        count_card("lzb", now.lzb, before.lzb, lower_is_better=True)
    with cards[2]:
        count_card("lzb_4y_plus", now.lzb_4y_plus, before.lzb_4y_plus, lower_is_better=True)
    with cards[3]:
        rate_card("integration_rate", now.integration_rate, before.integration_rate)


def figure_card(
    key: str, now: HeadlineFigures, before: HeadlineFigures, *, lower_is_better: bool = False
) -> None:
    """The card of a rate of ``RATES`` by its key, with its change against the year before."""
    rate_card(key, now.value(key), before.value(key), lower_is_better=lower_is_better)


def confidentiality_footnote(protection: Protection) -> None:
    """How the numbers are protected, in two plain sentences (``Protection.note``)."""
    st.caption(protection.note, help=None)


def glossary(keys: list[str]) -> None:
    with st.expander("Begriffe", icon=":material/menu_book:"):
        for key in keys:
            term, definition = GLOSSARY[key]
            st.markdown(f"**{term}:** {definition}")
