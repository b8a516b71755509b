"""The global filters: defined once, shown in the sidebar, mirrored in the URL.

app.py calls ``sidebar`` before it runs the page; pages read the choice with ``selection``.
Each filter is seeded from its query parameter when a session opens (a shared link), and the URL
is rewritten from the widgets on every run, so a copied link reproduces the view on any page.
A value in the link that is not one of the allowed options is ignored with a visible notice;
only allowed options ever reach the data layer. A repeated parameter gives a multi-value filter
all its values; for a single-value filter the first one counts, and a notice says so.

With data of several Jobcenters the places form a hierarchy Land → Jobcenter → Gemeinde: a Land
choice (only with more than one Land) and a Jobcenter choice come first, and each list below
offers only what lies in the choice above (a choice no longer offered is dropped). A shared link
with only ?gemeinde= chooses the Jobcenters of those municipalities. With one Jobcenter neither
choice is shown and nothing changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, cast

import streamlit as st

from data_access.periods import month_key, parse_month
from teilhabe.definitions import (
    AGE_GROUPS,
    BARRIERS,
    DISTRICT_DIGITS,
    SEXES,
    format_month,
    land_code,
    land_name,
)
from teilhabe.reporting.text import markdown_text
from teilhabe.selection import PLACE_LEVELS as PLACE_LEVELS
from teilhabe.selection import Filters, describe_filters, describe_unit, in_area, place_levels
from teilhabe.selection import place_level as place_level_of
from ui import data
from ui.data import Dataset

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
    "lands": FilterSpec("land", "Land", True, "Leer = alle Länder."),
    "jobcenters": FilterSpec(
        "jobcenter", "Jobcenter", True, "Leer = alle Jobcenter (der gewählten Länder)."
    ),
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
    jobcenters = data.jobcenters(dataset.version)
    lands = {code: land_name(code) for code in dict.fromkeys(map(land_code, jobcenters))}
    barrier_labels = {b.code: b.label for b in BARRIERS}
    options: dict[str, tuple[list[str], Callable[[str], str]]] = {
        "as_of": (months, lambda key: format_month(parse_month(key))),
        "years": (list(PERIODS), PERIODS.__getitem__),
        "lands": (list(lands), lands.__getitem__),
        "jobcenters": (list(jobcenters), jobcenters.__getitem__),
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
    _jobcenters_of_linked_municipalities(jobcenters)
    shown = {"lands": len(lands) > 1, "jobcenters": len(jobcenters) > 1}
    with st.sidebar:
        st.markdown("**Filter**")
        for name, spec in SPECS.items():
            allowed, label_of = options[name]
            if name in ("jobcenters", "municipalities"):  # only what lies in the choice above
                allowed, label_of = _within_choice(name, allowed, label_of, jobcenters)
            if not shown.get(name, True):
                st.session_state[spec.key] = []
                continue
            waiting = name == "municipalities" and shown["jobcenters"] and not allowed
            _widget(name, spec, allowed, label_of, waiting=waiting)
    _last_month_notice(dataset.version, dataset.as_of, months)
    for name, spec in SPECS.items():
        _mirror_to_link(spec, default=defaults.get(name))
    _show_notices()


def _widget(
    name: str,
    spec: FilterSpec,
    allowed: list[str],
    label_of: Callable[[str], str],
    *,
    waiting: bool = False,
) -> None:
    """One filter's widget; ``waiting``: the municipality list before a Jobcenter is chosen."""
    common: dict[str, Any] = {"key": spec.key, "format_func": label_of, "help": spec.help}
    if waiting:
        st.multiselect(
            spec.label, allowed, placeholder="erst ein Jobcenter wählen", disabled=True, **common
        )
    elif spec.multiple:
        st.multiselect(spec.label, allowed, placeholder="alle", **common)
    elif name == "barrier_mode":
        st.radio(spec.label, allowed, horizontal=True, **common)
    else:
        st.selectbox(spec.label, allowed, **common)


def _area_chosen() -> Filters:
    """The Länder and Jobcenters chosen so far in this run."""
    state = st.session_state
    return Filters(
        lands=tuple(state.get(SPECS["lands"].key) or ()),
        jobcenters=tuple(state.get(SPECS["jobcenters"].key) or ()),
    )


def _within_choice(
    name: str, allowed: list[str], label_of: Callable[[str], str], jobcenters: dict[str, str]
) -> tuple[list[str], Callable[[str], str]]:
    """The options of the Jobcenter or municipality list inside the Länder and Jobcenters chosen
    above; a chosen value outside them is dropped (before its widget is drawn). With several
    Jobcenters in the data, municipalities are offered once the choice above comes down to
    Jobcenters (none before: no flat list of every municipality of the country). Municipalities
    of the same name in different Jobcenters get the Jobcenter's name."""
    area = _area_chosen()
    if name == "jobcenters":
        inside = [key for key in allowed if not area.lands or land_code(key) in area.lands]
    else:
        inside = (
            [ags for ags in allowed if in_area(area, ags)] if _narrowed(area, jobcenters) else []
        )
    key = SPECS[name].key
    chosen = st.session_state.get(key) or []
    if any(value not in inside for value in chosen):
        st.session_state[key] = [value for value in chosen if value in inside]
    if name == "municipalities":
        label_of = _distinct_labels(inside, label_of, jobcenters)
    return inside, label_of


def _narrowed(area: Filters, jobcenters: dict[str, str]) -> bool:
    return "municipality" in place_levels(area, jobcenters)


def place_breakdowns(selection: Selection) -> list[str]:
    """The breakdowns by place at the chosen level (``selection.place_levels``)."""
    return place_levels(selection.filters, data.jobcenters(data.dataset().version))


def place_level(selection: Selection) -> str:
    """The one breakdown by place for a table of the chosen unit (``selection.place_level``)."""
    return place_level_of(selection.filters, data.jobcenters(data.dataset().version))


def _distinct_labels(
    places: list[str], label_of: Callable[[str], str], jobcenters: dict[str, str]
) -> Callable[[str], str]:
    """Municipality labels that tell apart places of the same name in different Jobcenters."""
    counts = Counter(label_of(ags) for ags in places)
    twice = {label for label, count in counts.items() if count > 1}
    if not twice:
        return label_of

    def distinct(ags: str) -> str:
        label = label_of(ags)
        district = ags[:DISTRICT_DIGITS]
        return f"{label} ({jobcenters.get(district, district)})" if label in twice else label

    return distinct


def _jobcenters_of_linked_municipalities(jobcenters: dict[str, str]) -> None:
    """A link with municipalities but no Jobcenter (made before the hierarchy, or with one
    Jobcenter in mind) chooses the Jobcenters of those municipalities, so they stay offered."""
    state = st.session_state
    chosen = state.get(SPECS["municipalities"].key) or []
    key = SPECS["jobcenters"].key
    if len(jobcenters) > 1 and chosen and not state.get(key):
        districts = (ags[:DISTRICT_DIGITS] for ags in chosen)
        state[key] = [d for d in dict.fromkeys(districts) if d in jobcenters]


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
            lands=chosen("lands"),
            jobcenters=chosen("jobcenters"),
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
    version = data.dataset().version
    return describe_filters(
        selection.filters, data.municipality_names(version), data.jobcenters(version)
    )


def with_unit(dataset: Dataset, selection: Selection) -> Dataset:
    """``dataset`` naming the chosen unit instead of the whole data: with several Jobcenters
    in the data the chosen one ("Jobcenter Landkreis Heidenheim") or how many in which Land
    ("3 Jobcenter in Baden-Württemberg"); with one Jobcenter it stays as it is."""
    jobcenters = data.jobcenters(dataset.version)
    if len(jobcenters) < 2:  # noqa: PLR2004 - one Jobcenter: nothing to choose
        return dataset
    return replace(dataset, jobcenter=describe_unit(selection.filters, jobcenters))


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
