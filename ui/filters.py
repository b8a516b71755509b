"""The global filters: defined once, shown in the sidebar, mirrored in the URL.

app.py calls ``sidebar`` before it runs the page; pages read the choice with ``selection``.
Each filter is seeded from its query parameter when a session opens (a shared link), and the URL
is rewritten from the widgets on every run, so a copied link reproduces the view on any page.
A value in the link that is not one of the allowed options is ignored with a visible notice;
only allowed options ever reach the data layer. A repeated parameter gives a multi-value filter
all its values; for a single-value filter the first one counts, and a notice says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import streamlit as st

from data_access.periods import month_key, parse_month
from teilhabe.definitions import BARRIERS, SEXES, format_month
from teilhabe.indicators import AGE_GROUPS, Filters
from teilhabe.reporting.text import markdown_text
from teilhabe.selection import describe_filters
from ui import data

PERIODS = {"1": "1 Jahr", "2": "2 Jahre", "3": "3 Jahre", "5": "5 Jahre"}
BARRIER_MODES = {"any": "mindestens eines", "all": "alle zugleich"}


@dataclass(frozen=True)
class Selection:
    as_of: int
    years: int
    filters: Filters

    @property
    def first_month(self) -> int:
        """First month of the period shown in trend charts."""
        return self.as_of - 12 * self.years + 1


@dataclass(frozen=True)
class FilterSpec:
    key: str  # widget key and query parameter
    label: str
    multiple: bool
    help: str


SPECS = {
    "as_of": FilterSpec("stand", "Stichtag", False, "Monat, dessen letzter Tag als Stichtag gilt."),
    "years": FilterSpec("zeitraum", "Zeitraum", False, "Wie weit die Verläufe zurückreichen."),
    "municipalities": FilterSpec(
        "gemeinde", "Gemeinden", True, "Wohnort der Personen; leer = alle Gemeinden."
    ),
    "sexes": FilterSpec("geschlecht", "Geschlecht", True, "Leer = alle."),
    "age_groups": FilterSpec(
        "alter", "Altersgruppe", True, "Alter im jeweiligen Monat (Geburtsjahr); leer = alle."
    ),
    "barriers": FilterSpec(
        "hemmnis",
        "Hemmnisse",
        True,
        "Im jeweiligen Monat erfasste Hemmnisse (im Verlauf also Monat für Monat); "
        "leer = alle Personen.",
    ),
    "barrier_mode": FilterSpec(
        "verknuepfung",
        "Verknüpfung der Hemmnisse",
        False,
        "Personen mit mindestens einem oder mit allen gewählten Hemmnissen.",
    ),
}


def sidebar() -> None:
    """Draw the filter widgets; called by app.py for every page."""
    dataset = data.dataset(figures_about_persons=False)
    first = data.first_complete_month(dataset.version, years=2) or dataset.as_of
    months = [month_key(m) for m in range(dataset.as_of, min(first, dataset.as_of) - 1, -1)]
    municipalities = data.municipality_names(dataset.version)
    barrier_labels = {b.code: b.label for b in BARRIERS}
    options: dict[str, tuple[list[str], Callable[[str], str]]] = {
        "as_of": (months, lambda key: format_month(parse_month(key))),
        "years": (list(PERIODS), PERIODS.__getitem__),
        "municipalities": (list(municipalities), municipalities.__getitem__),
        "sexes": (list(SEXES), SEXES.__getitem__),
        "age_groups": (list(AGE_GROUPS), AGE_GROUPS.__getitem__),
        "barriers": (list(barrier_labels), barrier_labels.__getitem__),
        "barrier_mode": (list(BARRIER_MODES), BARRIER_MODES.__getitem__),
    }
    defaults = {"as_of": months[0], "years": "5", "barrier_mode": "any"}
    for name, spec in SPECS.items():
        _seed_from_link(spec, options[name][0])
        # the state holds the value from the start, so widgets need no default of their own
        st.session_state.setdefault(spec.key, [] if spec.multiple else defaults[name])
    with st.sidebar:
        st.markdown("**Filter**")
        for name, spec in SPECS.items():
            allowed, label_of = options[name]
            common: dict[str, Any] = {"key": spec.key, "format_func": label_of, "help": spec.help}
            if spec.multiple:
                st.multiselect(spec.label, allowed, placeholder="alle", **common)
            elif name == "barrier_mode":
                st.radio(spec.label, allowed, horizontal=True, **common)
            else:
                st.selectbox(spec.label, allowed, **common)
    _last_month_notice(dataset.version, dataset.as_of, months)
    for name, spec in SPECS.items():
        _mirror_to_link(spec, default=defaults.get(name))
    _show_notices()


def _last_month_notice(version: str, last: int, months: list[str]) -> None:
    """With the data's last month chosen as Stichtag and looking incomplete (far fewer
    integrations than the months before), say so and offer the month before."""
    check = data.last_month_check(version, last)
    key = SPECS["as_of"].key
    if not check.incomplete or st.session_state.get(key) != month_key(last):
        return
    with st.sidebar:
        st.warning(
            f"Letzter Monat möglicherweise unvollständig: {format_month(last)} enthält weniger "
            "als halb so viele Integrationen wie im Mittel der zwölf Monate davor; "
            "Integrationsquote und Vergleich mit dem Vorjahr sind dann zu niedrig.",
            icon=":material/warning:",
        )
        if month_key(check.suggested) in months:
            st.button(
                f"Stichtag {format_month(check.suggested)} wählen",
                key="vormonat_waehlen",
                on_click=_choose_month,
                args=(month_key(check.suggested),),
            )


def _choose_month(key: str) -> None:
    st.session_state[SPECS["as_of"].key] = key


def selection() -> Selection:
    """The current filter choice, as set by the sidebar's widgets earlier in the same run."""
    state = st.session_state

    def chosen(name: str) -> tuple[str, ...]:
        return tuple(state.get(SPECS[name].key) or ())

    return Selection(
        as_of=parse_month(state[SPECS["as_of"].key]),
        years=int(state[SPECS["years"].key]),
        filters=Filters(
            municipalities=chosen("municipalities"),
            sexes=chosen("sexes"),
            age_groups=chosen("age_groups"),
            barriers=chosen("barriers"),
            barrier_mode=state[SPECS["barrier_mode"].key],
        ),
    )


def trend_start(selection: Selection, history_years: int) -> int:
    """First month of the trend charts: the chosen period, but not before the data have
    ``history_years`` of history (2 for LZB, 4 for "four years and longer")."""
    earliest = data.first_complete_month(data.dataset().version, history_years) or selection.as_of
    return min(selection.as_of, max(selection.first_month, earliest))


def describe(selection: Selection) -> str:
    """The active filters in words, for captions and exports: "alle Personen" if none."""
    return describe_filters(selection.filters, data.municipality_names(data.dataset().version))


def _seed_from_link(spec: FilterSpec, allowed: list[str]) -> None:
    """On a session's first run, take the filter's value from the URL if it is a valid one."""
    if spec.key in st.session_state:
        return
    given = st.query_params.get_all(spec.key)  # a repeated parameter: every value
    if not given:
        return
    if spec.multiple:  # ?hemmnis=debts&hemmnis=health and ?hemmnis=debts,health alike
        values = list(dict.fromkeys(v for raw in given for v in raw.split(",") if v))
    else:
        values = given[:1]
        if len(set(given)) > 1:
            st.session_state.setdefault("_link_notices", []).append(
                f"Der Link enthält „{spec.label}“ mehrfach; es gilt der erste Wert "
                f"(„{markdown_text(given[0][:40])}“)."
            )
    valid = [v for v in values if v in allowed]
    invalid = [v for v in values if v not in allowed]
    if invalid:
        shown = ", ".join(f"„{markdown_text(v[:40])}“" for v in invalid[:3])
        st.session_state.setdefault("_link_notices", []).append(
            f"Der Link enthält für „{spec.label}“ ungültige Werte ({shown}); sie wurden ignoriert."
        )
    if spec.multiple:
        st.session_state[spec.key] = valid
    elif valid:
        st.session_state[spec.key] = valid[0]


def _show_notices() -> None:
    for notice in st.session_state.pop("_link_notices", []):
        st.toast(notice, icon=":material/link_off:")
        st.sidebar.warning(notice, icon=":material/link_off:")


def _mirror_to_link(spec: FilterSpec, *, default: str | None) -> None:
    value = st.session_state.get(spec.key)
    text = ",".join(cast(list[str], value)) if spec.multiple else value
    if not text or text == default:
        st.query_params.pop(spec.key, None)
    elif st.query_params.get(spec.key) != text:
        st.query_params[spec.key] = text
