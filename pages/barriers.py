"""Hemmnisse: how common each barrier is, which come together, and what they mean for integration.

The team leads' page. The barrier filter is the global one (sidebar, mirrored in the URL): with
barriers chosen, the page also shows that group against everybody else.
"""

from dataclasses import replace

import polars as pl
import streamlit as st

from teilhabe.barriers import co_occurrence_matrix
from teilhabe.definitions import BARRIER_COUNT_PHRASES, MONTH_NAMES, in_group_order
from teilhabe.reporting import charts
from teilhabe.reporting.exports import Column
from teilhabe.reporting.formatting import format_as_of, format_percent
from ui import components, data, filters, shell
from ui.downloads import PageTables, chart_note, chart_with_download

BARRIERS = data.barrier_catalogue()
LABELS = {b.code: b.label for b in BARRIERS}
COUNT_LABELS = BARRIER_COUNT_PHRASES
STOCKS = {"elb": "ELB", "lzb": "LZB"}

shell.require_router()
dataset = data.dataset()
chosen = filters.selection()
dataset = filters.with_unit(dataset, chosen)  # the chosen Jobcenter(s) in the headline
tables = PageTables(dataset, chosen)
as_of = chosen.as_of
group = chosen.filters
version, protection = dataset.version, dataset.protection
BARRIER_COUNTS = data.group_labels(version, "barrier_count")
DURATION_BANDS = data.group_labels(version, "duration")

components.page_header("Hemmnisse", dataset, as_of, filters.describe(chosen))


# --- How common each barrier is --------------------------------------------------------------
prevalence = data.prevalence(version, as_of, protection, group).with_columns(
    pl.col("barrier").replace_strict(LABELS).alias("label")
)
st.header("Verbreitung der Hemmnisse")
st.caption(
    f"Anteil der ELB und der LZB der gewählten Gruppe mit dem Hemmnis am "
    f"{format_as_of(as_of)}; eine Person kann mehrere Hemmnisse haben."
)
chart, table = st.columns([1, 1])
with chart:
    chart_with_download(
        charts.share_bars(
            prevalence, {"elb_share": "Anteil an den ELB", "lzb_share": "Anteil an den LZB"}
        ),
        "prevalence_bars",
        "prevalence_bars",
        title="Verbreitung der Hemmnisse",
        note=chart_note(dataset, chosen),
    )
prevalence_columns = [
    Column("label", "Hemmnis"),
    Column("elb", "ELB", "count"),
    Column("elb_share", "Anteil ELB", "rate"),
    Column("lzb", "LZB", "count"),
    Column("lzb_share", "Anteil LZB", "rate"),
    Column("integration_rate", "K2", "rate"),
]
with table:
    tables.show(
        prevalence,
        prevalence_columns,
        "Verbreitung der Hemmnisse",
        "hemmnisse_verbreitung",
        "prevalence_table",
    )
with st.expander("Die Hemmnisse im Einzelnen und die Angebote dazu", icon=":material/info:"):
    for barrier in BARRIERS:
        text, link = st.columns([4, 1])
        with text:
            st.markdown(f"**{barrier.label}** ({barrier.key_factor}): {barrier.description}")
        with link:
            st.page_link(
                "pages/network.py",
                label="Angebote",
                icon=":material/arrow_forward:",
                query_params={"angebot": barrier.code},
                help=f"Träger und Angebote, die „{barrier.label}“ adressieren (Netzwerk-Seite; "
                "die Filter bleiben erhalten)",
            )

# --- Over the years ----------------------------------------------------------------------------
st.header("Entwicklung über die Jahre")
earliest = data.first_complete_month(version, 2) or as_of
months = tuple(m for m in range(as_of, as_of - 12 * chosen.years - 1, -12) if m >= earliest)
stock = st.segmented_control(
    "Bestand", list(STOCKS), format_func=STOCKS.__getitem__, default="lzb", key="hemmnis_bestand"
)
stock = stock or "lzb"
if group.barriers:
    # within the chosen group its own barriers are always 100 %: show how common they are among
    # everybody with the other filters
    trend_filters = replace(group, barriers=())
    shown = group.barriers
    whom = f"aller {STOCKS[stock]} (ohne Hemmnisfilter)"
else:
    trend_filters, shown, whom = group, tuple(LABELS), f"der {STOCKS[stock]}"
series = (
    data.prevalence_series(version, months, protection, trend_filters)
    .filter(pl.col("barrier").is_in(list(shown)))
    .with_columns(pl.col("barrier").replace_strict(LABELS).alias("label"))
    .sort("barrier", "month")
)
st.caption(
    f"Anteil {whom} mit dem Hemmnis, jeweils am Monatsende im "
    f"{MONTH_NAMES[as_of % 12]} jedes Jahres."
)
chart_with_download(
    charts.share_trend(series, f"{stock}_share"),
    "prevalence_trend",
    "prevalence_trend",
    title=f"Verbreitung der Hemmnisse im Verlauf ({STOCKS[stock]})",
    note=chart_note(dataset, chosen),
)
trend_columns = [
    Column("month_label", "Stichtag"),
    Column("label", "Hemmnis"),
    Column("elb", "ELB", "count"),
    Column("elb_share", "Anteil ELB", "rate"),
    Column("lzb", "LZB", "count"),
    Column("lzb_share", "Anteil LZB", "rate"),
]
tables.downloads(
    series.with_columns(
        pl.col("month").map_elements(format_as_of, return_dtype=pl.String).alias("month_label")
    ),
    trend_columns,
    "Verbreitung der Hemmnisse im Verlauf",
    "hemmnisse_verlauf",
)

# --- Which barriers come together ------------------------------------------------------------
pairs = data.co_occurrence(version, as_of, protection, group)
order = [b.code for b in BARRIERS]
matrix = co_occurrence_matrix(pairs, "share")
by_count = in_group_order(
    data.breakdown(version, "barrier_count", (as_of,), protection, group), "barrier_count"
).with_columns(pl.col("barrier_count").replace_strict(COUNT_LABELS).alias("band"))
st.header("Welche Hemmnisse zusammen auftreten")
st.caption(
    "Anteil der ELB der Gruppe, bei denen am Stichtag beide Hemmnisse erfasst sind; auf der "
    "Diagonale der Anteil mit dem einzelnen Hemmnis."
)
chart_with_download(
    charts.heatmap(
        matrix,
        [LABELS[b] for b in order],
        [LABELS[b] for b in order],
        value_name="Anteil",
        column_name="Hemmnis",
        row_name="Hemmnis",
    ),
    "co_occurrence",
    "co_occurrence",
    title="Welche Hemmnisse zusammen auftreten",
    note=chart_note(dataset, chosen),
)
tables.downloads(
    pairs.filter(pl.col("barrier_a") <= pl.col("barrier_b")).with_columns(
        pl.col("barrier_a").replace_strict(LABELS).alias("a"),
        pl.col("barrier_b").replace_strict(LABELS).alias("b"),
    ),
    [
        Column("a", "Hemmnis"),
        Column("b", "und Hemmnis"),
        Column("elb", "ELB mit beiden", "count"),
        Column("share", "Anteil an den ELB", "rate"),
    ],
    "Gemeinsames Auftreten der Hemmnisse",
    "hemmnisse_kombinationen",
)

st.header("Zahl der Hemmnisse je Person")
st.caption("ELB der Gruppe nach der Zahl ihrer Hemmnisse am Stichtag, mit ihrer Integrationsquote.")
counts_chart, counts_table = st.columns([3, 2])
with counts_chart:
    chart_with_download(
        charts.duration_bars(
            by_count.select("band", pl.col("elb").alias("count")), colour=charts.COLOURS["elb"]
        ),
        "barrier_counts",
        "barrier_counts",
        title="Zahl der Hemmnisse je Person (ELB)",
        note=chart_note(dataset, chosen),
    )
with counts_table:
    count_columns = [
        Column("band", "Zahl der Hemmnisse"),
        Column("elb", "ELB", "count"),
        Column("integration_rate", "Integrationsquote (K2)", "rate"),
    ]
    tables.show(
        by_count,
        count_columns,
        "Zahl der Hemmnisse je Person",
        "hemmnisse_anzahl",
        "barrier_count_table",
    )

# --- The central finding: more barriers, longer receipt, lower integration rate ---------------
st.header("Integrationsquote nach Zahl der Hemmnisse und Dauer des Bezugs")
cells = data.rate_matrix(version, as_of, protection, group).with_columns(
    pl.col("barrier_count").replace_strict(COUNT_LABELS).alias("count_label"),
    pl.col("duration").replace_strict(DURATION_BANDS).alias("duration_label"),
)
st.caption(
    "Je mehr Hemmnisse eine Person hat und je länger ihr Leistungsbezug dauert, desto seltener "
    "gelingt die Integration: Integrationsquote (K2) der letzten 12 Monate, Gruppen und Dauer "
    "jeweils im Monat der Integration bzw. des Bestands."
)
rate_of = {
    (row["barrier_count"], row["duration"]): row["integration_rate"]
    for row in cells.iter_rows(named=True)
}
chart_with_download(
    charts.heatmap(
        [[rate_of.get((c, d)) for d in DURATION_BANDS] for c in BARRIER_COUNTS],
        list(DURATION_BANDS.values()),
        [COUNT_LABELS[c] for c in BARRIER_COUNTS],
        value_name="K2",
        column_name="Dauer des Bezugs",
        row_name="Zahl der Hemmnisse",
    ),
    "rate_matrix",
    "rate_matrix",
    title="Integrationsquote nach Zahl der Hemmnisse und Dauer des Bezugs",
    note=chart_note(dataset, chosen),
)
matrix_columns = [
    Column("count_label", "Zahl der Hemmnisse"),
    Column("duration_label", "Dauer des laufenden Bezugs"),
    Column("elb", "ELB am Stichtag", "count"),
    Column("integrations_12m", "Integrationen (12 Monate)", "count"),
    Column("integration_rate", "Integrationsquote (K2)", "rate"),
]
tables.downloads(
    cells, matrix_columns, "Integrationsquote nach Hemmnissen und Dauer", "hemmnisse_k2"
)

# --- The chosen group -------------------------------------------------------------------------
st.header("Die gewählte Gruppe")
if not group.barriers:
    st.info(
        "Wählen Sie in der Seitenleiste unter „Hemmnisse“ ein oder mehrere Hemmnisse (mindestens "
        "eines oder alle zugleich), um diese Gruppe mit allen anderen zu vergleichen: Größe, "
        "Wohnort, Bezugsdauer und Integrationsquote.",
        icon=":material/filter_alt:",
    )
else:
    sides = data.group_comparison(version, as_of, protection, group)
    side_of = {row["side"]: row for row in sides.iter_rows(named=True)}
    mine, others = side_of.get("group", {}), side_of.get("others", {})
    cards = st.columns(4)
    with cards[0]:
        components.count_card("elb", mine.get("elb"))
    with cards[1]:
        components.count_card("lzb", mine.get("lzb"))
    with cards[2]:
        components.rate_card("integration_rate", mine.get("integration_rate"))
        st.caption(f"alle anderen: {format_percent(others.get('integration_rate'))}")
    with cards[3]:
        components.rate_card("integration_rate_lzb", mine.get("integration_rate_lzb"))
        st.caption(f"alle anderen: {format_percent(others.get('integration_rate_lzb'))}")

    where, how_long = st.columns(2)
    level = filters.place_level(chosen)  # the municipalities of the chosen unit, or above
    names = data.group_labels(version, level)
    with where:
        st.markdown("**Wohnort**")
        places = (
            data.breakdown(version, level, (as_of,), protection, group)
            .with_columns(pl.col(level).replace_strict(names, default=pl.col(level)).alias("label"))
            .sort("label")
        )
        place_columns = [
            Column("label", filters.PLACE_LEVELS[level]),
            Column("elb", "ELB", "count"),
            Column("lzb", "LZB", "count"),
            Column("integration_rate", "Integrationsquote (K2)", "rate"),
        ]
        tables.show(
            places,
            place_columns,
            f"Gruppe nach {filters.PLACE_LEVELS[level]}",
            "hemmnisse_gruppe_gemeinden"
            if level == "municipality"
            else f"hemmnisse_gruppe_{level}",
            "group_municipalities",
        )
    with how_long:
        st.markdown("**Dauer des laufenden Bezugs**")
        durations = in_group_order(
            data.breakdown(version, "duration", (as_of,), protection, group), "duration"
        ).with_columns(pl.col("duration").replace_strict(DURATION_BANDS).alias("label"))
        duration_columns = [
            Column("label", "Dauer"),
            Column("elb", "ELB", "count"),
            Column("lzb", "LZB", "count"),
            Column("integration_rate", "Integrationsquote (K2)", "rate"),
        ]
        tables.show(
            durations,
            duration_columns,
            "Gruppe nach Bezugsdauer",
            "hemmnisse_gruppe_dauer",
            "group_durations",
        )

# --- Referrals to services that address the barrier ------------------------------------------
st.header("Zuweisungen zu passenden Angeboten und ihr Ergebnis")
referrals = data.referral_outcomes(version, as_of, protection, group).with_columns(
    pl.col("barrier").replace_strict(LABELS).alias("label")
)
st.caption(
    "Zuweisungen von Personen mit dem Hemmnis zu einem Angebot, das es adressiert: in den "
    "letzten 12 Monaten, und für die 13 bis 24 Monate vor dem Stichtag begonnenen, wie oft "
    "binnen 12 Monaten eine Integration folgte."
)
referral_columns = [
    Column("label", "Hemmnis"),
    Column("referrals_12m", "Zuweisungen", "count"),
    Column("clients_12m", "Personen", "count"),
    Column("referrals_outcome_known", "Ergebnis bekannt", "count"),
    Column("integrated_12m", "davon Integration", "count"),
    Column("outcome_rate", "Anteil", "rate"),
]
tables.show(
    referrals,
    referral_columns,
    "Zuweisungen und Ergebnis",
    "hemmnisse_zuweisungen",
    "referral_outcomes",
)

components.glossary(
    [
        "barrier_prevalence",
        "barrier_co_occurrence",
        "barrier_count",
        "barrier_group",
        "integration_rate",
        "integration_rate_lzb",
        "lzb_duration",
        "referral_outcome",
    ]
)
components.confidentiality_footnote(protection)
