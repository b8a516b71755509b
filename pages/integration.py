"""Integration: the § 48a figures over time and by breakdown, kinds of integration, continuity.

Answers "which municipalities lag behind, and is it getting better?": the breakdown shows each
group's figure at the Stichtag next to its value a year before. The cards show the K2 and K3
families and, in their own section, the K1 family (Hilfebedürftigkeit) as far as the benefit
spells give it.
"""

import polars as pl
import streamlit as st

from teilhabe import figures
from teilhabe.definitions import K1_RATES, K2_RATES, K3_RATES, LOWER_IS_BETTER, RATES
from teilhabe.figures import HeadlineFigures
from teilhabe.reporting import charts
from teilhabe.reporting.exports import Column
from teilhabe.reporting.formatting import format_as_of
from teilhabe.reporting.glossary import GLOSSARY
from ui import components, data, filters, kennzahlen, shell
from ui.downloads import chart_note, chart_with_download, table_with_downloads

RATE_KEYS = list(RATES)
BREAKDOWNS = {
    **filters.PLACE_LEVELS,
    "sex": "Geschlecht",
    "age_group": "Altersgruppe",
    "duration": "Dauer des laufenden Bezugs",
    "barrier_count": "Zahl der Hemmnisse",
}

ORDERED = {"age_group", "duration", "barrier_count"}


def rate_cards(keys: tuple[str, ...], now: HeadlineFigures, before: HeadlineFigures) -> None:
    """The cards of ``keys``, three in a row, each with its change against the year before."""
    for start in range(0, len(keys), 3):
        for column, key in zip(st.columns(3), keys[start : start + 3], strict=False):
            with column:
                components.figure_card(key, now, before, lower_is_better=key in LOWER_IS_BETTER)


def benefit_need_section(now: HeadlineFigures, before: HeadlineFigures) -> None:
    """Hilfebedürftigkeit (K1 family): what the benefit spells give (K1E2 to K1E4), then K1 and
    K1E1 from the monthly benefit amounts (or the line that they need them)."""
    st.header("Hilfebedürftigkeit (K1)")
    rate_cards(K1_RATES, now, before)
    kennzahlen.benefit_section(dataset, as_of)


shell.require_router()
dataset = data.dataset()
chosen = filters.selection()
dataset = filters.with_unit(dataset, chosen)  # the chosen Jobcenter(s) in the headline
as_of = chosen.as_of
first_month = filters.trend_start(chosen, 2)
series = data.figure_series(dataset.version, first_month, as_of, dataset.protection, chosen.filters)
now = data.headline(dataset.version, as_of, dataset.protection, chosen.filters)
year_before = data.headline(dataset.version, as_of - 12, dataset.protection, chosen.filters)
events = now.network_events

components.page_header("Integration", dataset, as_of, filters.describe(chosen))
components.empty_group_notice(now)

st.header("Integration in Erwerbstätigkeit (K2)")
rate_cards(K2_RATES, now, year_before)
st.header("Langzeitleistungsbezug (K3)")
rate_cards(K3_RATES, now, year_before)
benefit_need_section(now, year_before)

figure_key = st.selectbox(
    "Kennzahl",
    RATE_KEYS,
    format_func=lambda key: GLOSSARY[key][0],
    key="kennzahl",
    bind="query-params",
)
st.header(f"Verlauf: {GLOSSARY[figure_key][0]}")
if series[figure_key].is_null().all():
    st.info(
        "Für diese Auswahl ist die Gruppe in keinem Monat groß genug für diese Quote "
        "(zu kleine Gruppe: weniger als "
        f"{dataset.protection.min_rate_base} Personen im Nenner).",
        icon=":material/info:",
    )
else:
    chart_with_download(
        charts.rate_trend(series, figure_key, events, name=GLOSSARY[figure_key][0]),
        "rate_trend",
        "rate_trend",
        title=f"Verlauf: {GLOSSARY[figure_key][0]}",
        note=chart_note(dataset, chosen),
    )

# by place at the chosen level (Land, Jobcenter where more than one, Gemeinde), then the rest
offered = [
    *filters.place_breakdowns(chosen),
    *(k for k in BREAKDOWNS if k not in filters.PLACE_LEVELS),
]
by = st.selectbox(
    "Aufgliederung nach",
    offered,
    format_func=BREAKDOWNS.__getitem__,
    key="aufgliederung",
    bind="query-params",
)
groups = data.breakdown(
    dataset.version, by, (as_of - 12, as_of), dataset.protection, chosen.filters
)
labels = data.group_labels(dataset.version, by)
comparison = (
    groups.filter(pl.col("month") == as_of)
    .select(by, pl.col(figure_key).alias("now"), "integrations_12m", "elb")
    .join(
        groups.filter(pl.col("month") == as_of - 12).select(by, pl.col(figure_key).alias("before")),
        on=by,
        how="left",
    )
    .with_columns(
        pl.col(by).replace_strict(labels, default=pl.col(by)).alias("group"),
        (pl.col("now").round(1) - pl.col("before").round(1)).alias("change"),
    )
    .sort("now", descending=True, nulls_last=True)
)
if by in ORDERED:  # groups with an order of their own keep it ("keine", "1", ... "4 und mehr")
    rank = {code: number for number, code in enumerate(labels)}
    comparison = comparison.sort(pl.col(by).replace_strict(rank, default=len(rank)))
st.header(f"{GLOSSARY[figure_key][0]} nach {BREAKDOWNS[by]}")
left, right = st.columns([3, 2])
with left:
    chart_with_download(
        charts.group_bars(
            comparison, overall=now.value(figure_key), colour=charts.rate_colour(figure_key)
        ),
        "breakdown_bars",
        "breakdown_bars",
        title=f"{GLOSSARY[figure_key][0]} nach {BREAKDOWNS[by]}",
        note=chart_note(dataset, chosen),
    )
with right:
    table_with_downloads(
        comparison,
        [
            Column("group", BREAKDOWNS[by]),
            Column("now", "Stichtag", "rate"),
            Column("before", "Vorjahr", "rate"),
            Column("change", "Veränderung (Prozentpunkte)", "decimal"),
            Column("elb", "ELB", "count"),
        ],
        title=f"{GLOSSARY[figure_key][0]} nach {BREAKDOWNS[by]}",
        dataset=dataset,
        selection=chosen,
        file_stem=f"integration_{figure_key}_nach_{by}",
        key="breakdown_table",
    )

st.header(f"Kennzahlen nach § 48a SGB II zum Stichtag {format_as_of(as_of)}")
table_with_downloads(
    figures.kennzahlen_table(now, year_before),
    [
        Column("code", "Kennzahl"),
        Column("name", "Bezeichnung"),
        Column("now", "Stichtag", "rate"),
        Column("before", "Vorjahr", "rate"),
        Column("change", "Veränderung (Prozentpunkte)", "decimal"),
    ],
    title=f"Kennzahlen nach § 48a SGB II zum Stichtag {format_as_of(as_of)}",
    dataset=dataset,
    selection=chosen,
    file_stem="kennzahlen_48a",
    key="kennzahlen_table",
    height="content",
)

kinds, continuity = st.columns(2)
with kinds:
    st.header("Integrationen nach Art (12 Monate)")
    chart_with_download(
        charts.kind_bars(
            {
                "Sozialversicherungspflichtige Beschäftigung": now.integrations_employment_12m,
                "Ausbildung": now.integrations_training_12m,
                "Selbständigkeit": now.integrations_self_employment_12m,
            }
        ),
        "integration_kinds",
        "integration_kinds",
        title="Integrationen nach Art (12 Monate)",
        note=chart_note(dataset, chosen),
    )
with continuity:
    st.header("Kontinuität nach Integration (K2E3)")
    chart_with_download(
        charts.rate_trend(series, "continuity_rate", events, name="K2E3"),
        "continuity_trend",
        "continuity_trend",
        title="Kontinuität nach Integration (K2E3)",
        note=chart_note(dataset, chosen),
    )

kennzahlen.comparison_section(dataset, chosen)

components.glossary([*RATE_KEYS, "benefit_need", *kennzahlen.GLOSSARY_KEYS])
components.confidentiality_footnote(dataset.protection)
