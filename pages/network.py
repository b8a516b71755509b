"""Netzwerk: who offers what, where and for whom, whom the network reached, and what came of it."""

import polars as pl
import streamlit as st

from teilhabe import selection
from teilhabe.reporting import charts
from teilhabe.reporting.exports import Column
from teilhabe.reporting.formatting import format_as_of
from teilhabe.reporting.text import markdown_text
from ui import components, data, filters, shell
from ui.downloads import PageTables, chart_note, chart_with_download

shell.require_router()
dataset = data.dataset()
chosen = filters.selection()
dataset = filters.with_unit(dataset, chosen)  # the chosen Jobcenter(s) in the headline
tables = PageTables(dataset, chosen)
as_of = chosen.as_of
group = chosen.filters
version, protection = dataset.version, dataset.protection
barrier_labels = {b.code: b.label for b in data.barrier_catalogue()}
names = data.municipality_names(version)

components.page_header("Netzwerk", dataset, as_of, filters.describe(chosen))


# --- The directory ----------------------------------------------------------------------------
st.header("Verzeichnis der Angebote")
directory = data.directory(version)
categories = dict(
    directory.select("category_code", "category").unique().sort("category").iter_rows()
)
search, category_column, barrier_column, place_column = st.columns([2, 2, 2, 2])
with search:
    text = st.text_input("Suche", key="suche", placeholder="Träger, Angebot, Ort …")
with category_column:
    chosen_categories = st.multiselect(
        "Leistungsart",
        list(categories),
        format_func=categories.__getitem__,
        key="leistungsart",
        placeholder="alle",
    )
with barrier_column:
    # seeded from the link (the Hemmnisse page links here with ?angebot=<code>), mirrored back
    if "angebot" not in st.session_state:
        wanted = st.query_params.get("angebot", "")
        if wanted and wanted not in barrier_labels:
            st.toast(f"Unbekanntes Hemmnis im Link („{markdown_text(wanted[:40])}“) ignoriert.")
        st.session_state["angebot"] = wanted if wanted in barrier_labels else ""
    barrier = st.selectbox(
        "Hemmnis",
        ["", *barrier_labels],
        format_func=lambda code: barrier_labels.get(code, "alle"),
        key="angebot",
        help="Angebote, die dieses Hemmnis adressieren (die Hemmnisse-Seite verlinkt hierher).",
    )
    if barrier:
        st.query_params["angebot"] = barrier
    else:
        st.query_params.pop("angebot", None)
with place_column:  # within the chosen Land / Jobcenter(s)
    places = st.multiselect(
        "Gemeinde (Einzugsgebiet)",
        [ags for ags in names if selection.in_area(group.unit(), ags)],
        format_func=names.__getitem__,
        key="einzugsgebiet",
        placeholder="alle",
    )
found = selection.directory_rows(
    directory, text=text, categories=chosen_categories, barriers=(barrier,) if barrier else (),
    places=places, within=group.unit(),
)  # fmt: skip
found = found.with_columns(
    pl.col("barriers")
    .list.eval(pl.element().replace_strict(barrier_labels, default=pl.element()))
    .list.join(", ")
    .alias("barrier_text"),
    pl.concat_str(
        [pl.col("street"), pl.concat_str(["postcode", "city"], separator=" ", ignore_nulls=True)],
        separator=", ",
        ignore_nulls=True,
    ).alias("address"),
    pl.concat_str(["phone", "email", "website"], separator=" · ", ignore_nulls=True).alias(
        "contact"
    ),
    pl.col("areas")
    .list.eval(pl.element().replace_strict(names, default=pl.element()))
    .list.join(", ")
    .alias("area_text"),
    pl.when(pl.col("active_to").is_null())
    .then(pl.lit("aktiv"))
    .otherwise(pl.lit("bis ") + pl.col("active_to").dt.strftime("%d.%m.%Y"))
    .alias("status"),
)
directory_columns = [
    Column("provider", "Träger"),
    Column("service", "Angebot"),
    Column("category", "Leistungsart"),
    Column("barrier_text", "adressiert"),
    Column("address", "Adresse"),
    Column("contact", "Kontakt"),
    Column("area_text", "Einzugsgebiet"),
    Column("status", "Status"),
]
st.caption(f"{found.height} von {directory.height} Angeboten")
tables.show(
    found, directory_columns, "Verzeichnis der Angebote", "netzwerk_verzeichnis", "directory"
)

# --- Reach ------------------------------------------------------------------------------------
st.header("Reichweite")
st.caption(
    f"Personen der gewählten Gruppe mit einer Zuweisung in den 12 Monaten bis zum "
    f"{format_as_of(as_of)}; Ergebnis: Integration binnen 12 Monaten nach Beginn der "
    "Zuweisungen, die 13 bis 24 Monate vor dem Stichtag begannen."
)
by_category = data.reach(version, as_of, protection, group, "category_code").with_columns(
    pl.col("category_code")
    .replace_strict(categories, default=pl.col("category_code"))
    .alias("label")
)
reach_columns = [
    Column("label", "Leistungsart"),
    Column("clients", "Personen", "count"),
    Column("referrals", "Zuweisungen", "count"),
    Column("outcome_known", "Ergebnis bekannt", "count"),
    Column("integrated", "davon Integration", "count"),
    Column("outcome_rate", "Anteil mit Integration", "rate"),
]
tables.show(
    by_category.sort("label"),
    reach_columns,
    "Reichweite nach Leistungsart",
    "netzwerk_reichweite",
    "reach_categories",
)
TRENDS = {
    "clients": "Erreichte Personen",
    "outcome_rate": "Anteil mit Integration binnen 12 Monaten",
}
trend = st.segmented_control(
    "Im Verlauf", list(TRENDS), format_func=TRENDS.__getitem__, default="clients", key="verlauf"
)
trend = trend or "clients"
series = data.reach_series(
    version, as_of, max(2, chosen.years), protection, group, "category_code"
).with_columns(
    pl.col("category_code")
    .replace_strict(categories, default=pl.col("category_code"))
    .alias("label"),
    pl.col(trend).alias("value"),
    pl.col("window_end").alias("month"),
)
st.caption(
    "Je Leistungsart, jeweils für die 12 Monate bis zum Monat"
    + (" (Ergebnis der Zuweisungen 13 bis 24 Monate davor)." if trend == "outcome_rate" else ".")
)
if trend == "clients":
    chart_with_download(
        charts.count_trend(series),
        "reach_trend",
        "reach_trend",
        title="Erreichte Personen je Leistungsart im Verlauf",
        note=chart_note(dataset, chosen),
    )
else:
    chart_with_download(
        charts.share_trend(series, "value"),
        "outcome_trend",
        "outcome_trend",
        title="Anteil mit Integration binnen 12 Monaten je Leistungsart",
        note=chart_note(dataset, chosen),
    )

by_provider = data.reach(version, as_of, protection, group, "provider_id")
providers = (
    directory.group_by("provider_id", maintain_order=True)
    .agg(pl.col("provider").first(), pl.col("category").unique().sort().str.join(", "))
    # a provider without any referral in the 24 months has no row: it reached nobody (a true 0)
    .join(by_provider, on="provider_id", how="left")
    .with_columns(
        pl.when(pl.col("provider_id").is_in(by_provider["provider_id"].implode()))
        .then(pl.col(column))
        .otherwise(0)
        .alias(column)
        for column in ("clients", "referrals", "outcome_known", "integrated")
    )
    .sort("provider")
)
provider_columns = [
    Column("provider", "Träger"),
    Column("category", "Leistungsarten"),
    *reach_columns[1:],
]
with st.expander("Reichweite je Träger", icon=":material/groups:"):
    tables.show(
        providers, provider_columns, "Reichweite je Träger", "netzwerk_traeger", "reach_providers"
    )

# --- Barrier coverage -------------------------------------------------------------------------
st.header("Abdeckung der Hemmnisse")
coverage = data.coverage(version, as_of, protection, group).with_columns(
    pl.col("barrier_code").replace_strict(barrier_labels).alias("label")
)
coverage_columns = [
    Column("label", "Hemmnis"),
    Column("affected", "ELB mit dem Hemmnis", "count"),
    Column("covered", "davon passend zugewiesen", "count"),
    Column("coverage_rate", "Abdeckung", "rate"),
]
chart, table = st.columns([1, 1])
with chart:
    chart_with_download(
        charts.share_bars(coverage, {"coverage_rate": "Abdeckung"}),
        "coverage_bars",
        "coverage_bars",
        title="Abdeckung der Hemmnisse",
        note=chart_note(dataset, chosen),
    )
with table:
    tables.show(
        coverage,
        coverage_columns,
        "Abdeckung der Hemmnisse",
        "netzwerk_abdeckung",
        "coverage_table",
    )

coverage_trend = data.coverage_series(
    version, as_of, max(2, chosen.years), protection, group
).with_columns(pl.col("barrier_code").replace_strict(barrier_labels).alias("label"))
st.markdown("**Abdeckung im Verlauf** (jeweils am Stichtag eines Jahres)")
chart_with_download(
    charts.share_trend(coverage_trend, "coverage_rate"),
    "coverage_trend",
    "coverage_trend",
    title="Abdeckung der Hemmnisse im Verlauf",
    note=chart_note(dataset, chosen),
)

# --- Flows ------------------------------------------------------------------------------------
st.header("Wege: Hemmnis → Leistungsart → Ergebnis")
links = data.flows(version, as_of, protection, group)
if links.is_empty():
    st.info("Für die gewählte Gruppe gibt es zu wenige Zuweisungen mit bekanntem Ergebnis.")
else:
    node_labels = {
        **{f"barrier:{code}": label for code, label in barrier_labels.items()},
        **{f"category:{code}": label for code, label in categories.items()},
        "outcome:integrated": "Integration binnen 12 Monaten",
        "outcome:not_integrated": "keine Integration binnen 12 Monaten",
    }
    chart_with_download(
        charts.sankey(links, node_labels),
        "flows",
        "flows",
        title="Wege: Hemmnis → Leistungsart → Ergebnis",
        note=chart_note(dataset, chosen),
    )
    st.caption(
        "Zuweisungen, die 13 bis 24 Monate vor dem Stichtag begannen; jeder Strom ist für sich "
        "geschützt, Zu- und Abflüsse eines Knotens müssen daher nicht genau übereinstimmen."
    )

# --- Events -----------------------------------------------------------------------------------
st.header("Netzwerkveranstaltungen")
events = data.events(version, as_of)
if events.is_empty():
    st.caption("Bis zum Stichtag sind keine Netzwerkveranstaltungen erfasst.")
else:
    chart_with_download(
        charts.events_timeline(events),
        "events",
        "events",
        title="Netzwerkveranstaltungen",
        note=chart_note(dataset, chosen),
    )
    shown_events = events.with_columns(
        pl.col("providers").list.len().alias("provider_count"),
        pl.col("providers").list.join(", ").alias("provider_names"),
    )
    event_columns = [
        Column("date", "Datum"),
        Column("title", "Veranstaltung"),
        Column("attendees", "Teilnehmende", "count"),
        Column("provider_count", "Träger und Behörden", "count"),
        Column("provider_names", "beteiligt"),
    ]
    tables.show(
        shown_events, event_columns, "Netzwerkveranstaltungen", "netzwerkveranstaltungen",
        "events_table",
    )  # fmt: skip

components.glossary(
    ["reach", "referral_outcome", "barrier_coverage", "network_events", "protection"]
)
components.confidentiality_footnote(protection)
