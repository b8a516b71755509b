"""Präsentation: the network's results as full-screen slides for a conference hall.

Reached by a link (``/presentation``, with the global filters and ``folie=N`` in the query
string). Forward and back with the arrow keys, PageDown/PageUp (what presenter clickers send) or
the buttons, optional auto-advance. "Beenden" (or Esc) returns to the page the presentation was
opened from, with its URL parameters (filters, Stichtag, the page's own choices). Only
suppressed aggregates, no map tiles or fonts from elsewhere.
"""

import time

import polars as pl
import streamlit as st

from teilhabe import selection
from teilhabe.definitions import LOWER_IS_BETTER
from teilhabe.reporting import charts, maps
from teilhabe.reporting.formatting import format_as_of, format_count
from teilhabe.reporting.text import markdown_text
from ui import components, data, filters, presentation, shell, wayback

SLIDES = (
    "Kennzahlen",
    "Integrationsquote",
    "Hemmnisse",
    "Netzwerkkarte",
    "Reichweite des Netzwerks",
    "Netzwerkveranstaltungen",
)
FLOW_RATES = ("elb_entry_rate", "elb_exit_rate", "lzb_entry_rate", "lzb_exit_rate")
INTERVALS = {0: "aus", 10: "alle 10 s", 20: "alle 20 s", 30: "alle 30 s", 60: "jede Minute"}

shell.require_router()
presentation.hide_chrome()
dataset = data.dataset()
chosen = filters.selection()
dataset = filters.with_unit(dataset, chosen)  # the chosen Jobcenter(s) in the headline
as_of = chosen.as_of
group = chosen.filters
version, protection = dataset.version, dataset.protection

# --- Which slide: from the link on the first run, then from the buttons ---------------------
if "folie" not in st.session_state:
    raw = (st.query_params.get_all("folie") or ["1"])[0]  # repeated: the first counts
    st.session_state["folie"] = int(raw) if raw.isdigit() and 1 <= int(raw) <= len(SLIDES) else 1
    st.session_state["_folie_seit"] = time.monotonic()


def go_to(number: int) -> None:
    st.session_state["folie"] = (number - 1) % len(SLIDES) + 1
    st.session_state["_folie_seit"] = time.monotonic()


slide = st.session_state["folie"]
st.query_params["folie"] = str(slide)

st.title(SLIDES[slide - 1])
st.caption(
    f"{markdown_text(dataset.jobcenter)} · Stichtag {format_as_of(as_of)} · "
    f"{markdown_text(filters.describe(chosen))}"
    + (" · Demodaten (synthetisch)" if dataset.synthetic else "")
)

# --- The slides -------------------------------------------------------------------------------
if slide == 1:
    now = data.headline(version, as_of, protection, group)
    before = data.headline(version, as_of - 12, protection, group)
    components.headline_cards(now, before)
    cards = st.columns(4)
    with cards[0]:
        components.count_card("providers", now.providers)
    with cards[1]:
        components.figure_card("integration_rate_lzb", now, before)
    with cards[2]:
        components.figure_card("continuity_rate", now, before)
    with cards[3]:
        components.figure_card("lzb_change", now, before, lower_is_better=True)
    # entries and exits of the ELB (K1E3, K1E4) and the LZB (K3E3, K3E4)
    for column, key in zip(st.columns(4), FLOW_RATES, strict=True):
        with column:
            components.figure_card(key, now, before, lower_is_better=key in LOWER_IS_BETTER)
elif slide == 2:
    first = filters.trend_start(chosen, 2)
    series = data.figure_series(version, first, as_of, protection, group)
    events = data.headline(version, as_of, protection, group).network_events
    st.plotly_chart(
        presentation.big(charts.rate_trend(series, "integration_rate", events), height=580),
        key="slide_rate_trend",
        config=charts.PLOTLY_CONFIG,
        theme=None,  # our large fonts, not the theme's
    )
elif slide == 3:
    labels = {b.code: b.label for b in data.barrier_catalogue()}
    prevalence = data.prevalence(version, as_of, protection, group).with_columns(
        pl.col("barrier").replace_strict(labels).alias("label")
    )
    st.plotly_chart(
        presentation.big(
            charts.share_bars(
                prevalence, {"lzb_share": "Anteil an den LZB", "elb_share": "Anteil an den ELB"}
            ),
            height=620,
        ),
        key="slide_barriers",
        config=charts.PLOTLY_CONFIG,
        theme=None,  # our large fonts, not the theme's
    )
elif slide == 4:
    areas = data.map_areas(version)
    shapes = maps.within(areas.geojson, group.unit())  # the chosen Jobcenters, fitted
    measures = data.map_measures(version, as_of, protection, group).filter(
        pl.col("ags").is_in([feature["id"] for feature in shapes["features"]])
    )
    services = selection.directory_rows(
        data.active_directory(version, as_of, group.barriers), within=group.unit()
    )
    reach = data.reach(version, as_of, protection, group, "provider_id")
    points = maps.provider_points(services, reach, data.municipality_names(version))
    figure = maps.district_map(
        shapes,
        measures,
        measure="lzb_per_1000",
        measure_name="LZB je 1.000 Einwohner",
        kind="decimal",
        providers=points,
        gaps=[],
        schematic=areas.schematic,
        style=data.settings().map_style,
        attribution=areas.attribution,
    )
    # the legend beside the map: a projector is wide, the district about square
    figure = presentation.big(figure, height=640).update_layout(
        legend={"orientation": "v", "x": 1, "xanchor": "left", "y": 1, "yanchor": "top"}
    )
    st.plotly_chart(
        figure,
        key="slide_map",
        config=charts.PLOTLY_CONFIG,
        theme=None,
    )
elif slide == 5:
    directory = data.directory(version)
    categories = dict(directory.select("category_code", "category").unique().iter_rows())
    reach = (
        data.reach(version, as_of, protection, group, "category_code")
        .with_columns(
            pl.col("category_code")
            .replace_strict(categories, default=pl.col("category_code"))
            .alias("band"),
            pl.col("clients").alias("count"),
        )
        .sort("count", descending=True, nulls_last=True)
    )
    st.markdown("## Erreichte Personen in den letzten 12 Monaten, nach Leistungsart")
    st.plotly_chart(
        presentation.big(
            charts.duration_bars(reach, colour=charts.COLOURS["reach"], horizontal=True),
            height=520,
        ),
        key="slide_reach",
        config=charts.PLOTLY_CONFIG,
        theme=None,  # our large fonts, not the theme's
    )
else:
    events = data.events(version, as_of)
    if events.is_empty():
        st.markdown("## Bis zum Stichtag sind keine Netzwerkveranstaltungen erfasst.")
    else:
        latest = events.row(-1, named=True)
        st.markdown(
            f"## {latest['date']:%d.%m.%Y}: {markdown_text(latest['title'])} – "
            f"{format_count(latest['attendees'])} Teilnehmende, "
            f"{format_count(len(latest['providers']))} Träger und Behörden"
        )
        st.plotly_chart(
            presentation.big(charts.events_timeline(events), height=500),
            key="slide_events",
            config=charts.PLOTLY_CONFIG,
            theme=None,  # our large fonts, not the theme's
        )

# --- Controls ---------------------------------------------------------------------------------
back, position, forward, interval, leave = st.columns([2, 2, 2, 3, 2], vertical_alignment="center")
with back:
    st.button(
        "Zurück",
        icon=":material/arrow_back:",
        shortcut="Left",
        on_click=go_to,
        args=(slide - 1,),
        key="folie_zurueck",
        width="stretch",
    )
with position:
    st.markdown(f"**Folie {slide} von {len(SLIDES)}**")
with forward:
    st.button(
        "Weiter",
        icon=":material/arrow_forward:",
        shortcut="Right",
        on_click=go_to,
        args=(slide + 1,),
        key="folie_weiter",
        type="primary",
        width="stretch",
    )
with interval:
    seconds = st.selectbox(
        "Automatisch weiter",
        list(INTERVALS),
        format_func=INTERVALS.__getitem__,
        key="takt",
        help="Die Folien wechseln von selbst, bis eine Taste oder Schaltfläche gedrückt wird.",
    )
with leave:
    st.button(
        "Beenden",
        icon=":material/close:",
        shortcut="Esc",
        key="beenden",
        on_click=st.session_state.__setitem__,
        args=("_beenden", True),
    )
# Presenter clickers send PageDown/PageUp; a button takes one shortcut, so two more without a
# place on screen (hidden by presentation.STYLE) take those keys.
with st.container(key="clicker_keys"):
    st.button("Weiter (Bild ab)", shortcut="PageDown", on_click=go_to, args=(slide + 1,))
    st.button("Zurück (Bild auf)", shortcut="PageUp", on_click=go_to, args=(slide - 1,))
if st.session_state.pop("_beenden", False):
    wayback.leave_presentation()
components.confidentiality_footnote(protection)

if seconds:

    @st.fragment(run_every=seconds)
    def advance() -> None:
        """Runs with the page and then every few seconds: turns the slide when it is due."""
        if time.monotonic() - st.session_state.get("_folie_seit", 0) >= seconds - 0.5:
            go_to(st.session_state["folie"] + 1)
            st.rerun(scope="app")

    advance()
