"""Übersicht: headline figures with the change against the previous year, trend, events."""

import polars as pl
import streamlit as st

from teilhabe.reporting import charts
from teilhabe.reporting.exports import Column
from teilhabe.reporting.formatting import format_count
from teilhabe.reporting.glossary import term
from ui import components, data, filters, shell
from ui.downloads import chart_note, chart_with_download, report_download, table_with_downloads

shell.require_router()
dataset = data.dataset()
chosen = filters.selection()
dataset = filters.with_unit(dataset, chosen)  # the chosen Jobcenter(s) in the headline
as_of = chosen.as_of
now = data.headline(dataset.version, as_of, dataset.protection, chosen.filters)
year_before = data.headline(dataset.version, as_of - 12, dataset.protection, chosen.filters)
# The chosen period, but not before the data can count receipt of four years and longer.
first_month = filters.trend_start(chosen, 4)
series = data.figure_series(dataset.version, first_month, as_of, dataset.protection, chosen.filters)

components.page_header("Übersicht", dataset, as_of, filters.describe(chosen))
with st.container(horizontal=True, vertical_alignment="center"):
    report_download(dataset, chosen)
    st.page_link(
        "pages/presentation.py",
        label="Präsentationsmodus für Netzwerkkonferenzen (mit diesen Filtern)",
        icon=":material/slideshow:",
    )

components.empty_group_notice(now)
components.headline_cards(now, year_before)

trend, rate = st.columns([3, 2])
with trend:
    st.header("Entwicklung der Bestände")
    chart_with_download(
        charts.stock_trend(series, now.network_events),
        "stock_trend",
        "stock_trend",
        title="Entwicklung der Bestände",
        note=chart_note(dataset, chosen),
    )
with rate:
    st.header("Integrationsquote (K2)")
    chart_with_download(
        charts.rate_trend(series, "integration_rate", now.network_events),
        "integration_rate_trend",
        "integration_rate_trend",
        title="Integrationsquote (K2)",
        note=chart_note(dataset, chosen),
    )

duration, network = st.columns([2, 3])
with duration:
    st.header("LZB nach Bezugsdauer")
    bands = pl.DataFrame(
        {
            "band": ["unter 2 Jahre", "2 bis unter 4 Jahre", "4 Jahre und länger"],
            "count": [now.lzb_under_2y, now.lzb_2_4y, now.lzb_4y_plus],
        },
        schema={"band": pl.String, "count": pl.Int64},
    )
    chart_with_download(
        charts.duration_bars(bands),
        "lzb_duration",
        "lzb_duration",
        title="LZB nach Dauer des laufenden Bezugs",
        note=chart_note(dataset, chosen),
    )
with network:
    st.header("Netzwerk")
    facts = st.columns(2)
    with facts[0]:
        components.count_card("providers", now.providers)
    with facts[1]:
        st.metric(
            "Gemeinden",
            format_count(now.municipalities),
            border=True,
            help="Gemeinden im Zuständigkeitsgebiet des Jobcenters (der gewählten Jobcenter).",
        )
    st.markdown(f"**{term('network_events')}**")
    events = now.network_events
    if events.is_empty():
        st.caption("Bis zum Stichtag sind keine Netzwerkveranstaltungen erfasst.")
    else:
        table_with_downloads(
            events,
            [
                Column("date", "Datum"),
                Column("title", "Veranstaltung"),
                Column("attendees", "Teilnehmende", "count"),
                Column("providers", "Träger und Behörden", "count"),
            ],
            title=term("network_events"),
            dataset=dataset,
            selection=chosen,
            file_stem="netzwerkveranstaltungen",
            key="network_events",
        )

components.glossary(
    ["as_of", "elb", "lzb", "lzb_4y_plus", "lzb_duration", "integration_rate", "providers"]
)
components.confidentiality_footnote(dataset.protection)
