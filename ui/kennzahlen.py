"""The Integration page's sections for K1/K1E1 (benefit sums) and "Vergleich" (the own
Jobcenter next to its Vergleichstyp, its Land and Germany), with their cached loaders.

Both are figures of the whole Jobcenter: the page's filters do not apply (a comparison with
published figures of whole Jobcenters needs the whole own Jobcenter).
"""

from __future__ import annotations

import dataclasses

import polars as pl
import streamlit as st

from teilhabe import amounts, peers
from teilhabe.definitions import format_month
from teilhabe.peer_codes import SHORT_NAMES
from teilhabe.protection import Protection
from teilhabe.reporting.exports import Column
from teilhabe.reporting.peer_chart import peer_chart
from teilhabe.reporting.text import markdown_text
from teilhabe.selection import Filters
from ui import components, data
from ui.data import Dataset
from ui.downloads import chart_with_download, table_with_downloads
from ui.filters import Selection

AMOUNT_KEYS = list(amounts.CHANGE_KEYS.values())
SOURCE = (
    "Quelle der Vergleichswerte: veröffentlichte Kennzahlen nach § 48a SGB II anderer "
    "Jobcenter, der Länder und Deutschlands (BMAS, sgb2.info), importiert als "
    "„Vergleichswerte“; sie sind Zahlen anderer und werden so gezeigt, wie sie veröffentlicht sind."
)
SYNTHETIC = (
    "Synthetische Vergleichswerte (Demo): erfundene Jobcenter und Werte, keine "
    "veröffentlichten Zahlen."
)


@st.cache_data(show_spinner=False)
def benefit_changes(version: str, as_of: int, protection: Protection) -> dict[str, float | None]:
    """Cached per data version and month: K1 and K1E1 (empty without amounts)."""
    return amounts.benefit_changes(
        engine=data._engine(), cases=data._cases(version), as_of=as_of, protection=protection
    )


@st.cache_data(show_spinner=False)
def benefit_sums(version: str, as_of: int, protection: Protection) -> pl.DataFrame:
    """Cached per data version and month: the published sums of the month and a year before."""
    sums = amounts.benefit_sums(
        engine=data._engine(),
        cases=data._cases(version),
        months=[as_of - 12, as_of],
        protection=protection,
    )
    return pl.DataFrame(
        [{**dataclasses.asdict(s), "month_name": format_month(s.month)} for s in sums]
    )


@st.cache_data(show_spinner=False)
def comparison(version: str, as_of: int, protection: Protection) -> peers.Comparison:
    """Cached per data version and month: the own Jobcenter (whole, protected) and its peers."""
    own = peers.as_mapping(data.headline(version, as_of, protection, Filters()))
    own = {**own, **benefit_changes(version, as_of, protection)}
    return peers.peer_comparison(engine=data._engine(), own=own, as_of=as_of)


def benefit_section(dataset: Dataset, as_of: int) -> None:
    """K1 and K1E1 as cards with the sums behind them; without amounts one calm line."""
    changes = benefit_changes(dataset.version, as_of, dataset.protection)
    if not changes:
        st.caption(
            "K1 und K1E1 (Veränderung der Leistungen zum Lebensunterhalt und für Unterkunft) "
            "brauchen monatliche Leistungsbeträge je Person; sie lassen sich auf der Seite Daten "
            "als „Leistungsbeträge“ importieren."
        )
        return
    st.subheader("Leistungsbeträge (K1, K1E1)")
    cards = st.columns(2)
    for column, key in zip(cards, AMOUNT_KEYS, strict=True):
        with column:
            components.rate_card(key, changes[key], lower_is_better=True)
    sums = benefit_sums(dataset.version, as_of, dataset.protection)
    st.dataframe(_sums_table(sums), hide_index=True, key="benefit_sums_table", width="stretch")
    st.caption(
        "Ganzes Jobcenter (die Filter wirken hier nicht). Summen auf volle 1.000 € gerundet und "
        f"nur ab {dataset.protection.min_rate_base} Personen mit einem Betrag gezeigt."
    )


def _sums_table(sums: pl.DataFrame) -> pl.DataFrame:
    def euros(value: float | None) -> str:
        return "–" if value is None else f"{value:,.0f} €".replace(",", ".")

    def persons(value: int) -> str:
        return f"{value:,}".replace(",", ".")

    return pl.DataFrame(
        {
            "Monat": sums["month_name"].to_list(),
            "Personen (Lebensunterhalt)": [persons(v) for v in sums["living_persons"]],
            "Summe Lebensunterhalt": [euros(v) for v in sums["living_euros"]],
            "Personen (Unterkunft)": [persons(v) for v in sums["housing_persons"]],
            "Summe Unterkunft": [euros(v) for v in sums["housing_euros"]],
        }
    )


def comparison_section(dataset: Dataset, selection: Selection) -> None:
    """The Vergleich section: chart and table for every Kennzahl present on both sides."""
    st.header("Vergleich")
    result = comparison(dataset.version, selection.as_of, dataset.protection)
    if result.rows.is_empty():
        st.caption(
            markdown_text(result.note)
            + " Vergleichswerte anderer Jobcenter lassen sich auf der Seite Daten als "
            "„Vergleichswerte“ importieren."
        )
        return
    st.caption(markdown_text(_lead(dataset, result)))
    if result.synthetic:
        st.info(SYNTHETIC, icon=":material/science:")
    whole = Selection(selection.as_of, selection.years, Filters())
    chart_with_download(
        peer_chart(
            result.rows,
            comparison_type=result.comparison_type,
            land_name=result.land_name,
            own_name=dataset.jobcenter,
        ),
        "peer_chart",
        "vergleich",
        title="Vergleich mit anderen Jobcentern",
        note=[_lead(dataset, result), SOURCE],
    )
    table_with_downloads(
        result.rows.with_columns(
            (pl.col("code") + " " + pl.col("code").replace_strict(SHORT_NAMES)).alias("kennzahl")
        ),
        [
            Column("kennzahl", "Kennzahl"),
            Column("own", "Eigenes Jobcenter", "rate"),
            Column("type_mean", "Vergleichstyp: Mittel", "rate"),
            Column("type_min", "Min.", "rate"),
            Column("type_max", "Max.", "rate"),
            Column("type_count", "Jobcenter", "count"),
            Column("land", result.land_name or "Land", "rate"),
            Column("germany", "Deutschland", "rate"),
        ],
        title="Vergleich mit anderen Jobcentern",
        dataset=dataset,
        selection=whole,
        file_stem="vergleich_jobcenter",
        key="peer_table",
    )
    st.caption(markdown_text(SOURCE))


def _lead(dataset: Dataset, result: peers.Comparison) -> str:
    """One line: whose figures, which month, which Vergleichstyp."""
    kind = (
        f"Vergleichstyp {result.comparison_type} ({result.peers} weitere Jobcenter)"
        if result.comparison_type
        else "Vergleichstyp unbekannt (die Datei enthält keine Zeile des eigenen Jobcenters)"
    )
    month = format_month(result.month) if result.month is not None else "–"
    return (
        f"{dataset.jobcenter} (geschützte Werte, ganzes Jobcenter ohne Filter) · {kind} · "
        f"{result.land_name or 'Land unbekannt'} · Deutschland · Vergleichswerte für {month}"
    )


GLOSSARY_KEYS = [*AMOUNT_KEYS, "peer_comparison"]
