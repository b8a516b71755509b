"""Netzwerkkarte: municipalities shaded by a measure, providers by service category, gaps.

With barriers chosen in the sidebar, the map shows the providers that address them and outlines
the municipalities with a coverage gap (affected people, no matching service within the chosen
distance).
"""

import polars as pl
import streamlit as st

from teilhabe import selection
from teilhabe.reporting import maps
from teilhabe.reporting.exports import Column
from teilhabe.reporting.text import markdown_text
from ui import components, data, filters, shell
from ui.downloads import chart_note, chart_with_download, table_with_downloads

shell.require_router()
dataset = data.dataset()
chosen = filters.selection()
dataset = filters.with_unit(dataset, chosen)  # the chosen Jobcenter(s) in the headline
as_of = chosen.as_of
group = chosen.filters
version, protection = dataset.version, dataset.protection
settings = data.settings()
labels = {b.code: b.label for b in data.barrier_catalogue()}
names = data.municipality_names(version)

components.page_header("Netzwerkkarte", dataset, as_of, filters.describe(chosen))

MEASURES = {
    "lzb_per_1000": ("LZB je 1.000 Einwohner", "decimal"),
    "integration_rate": ("Integrationsquote (K2)", "rate"),
}
if group.barriers:
    MEASURES |= {
        "barrier_share": ("Anteil der ELB mit den gewählten Hemmnissen", "rate"),
        "coverage_rate": ("Abdeckung der gewählten Hemmnisse", "rate"),
    }
controls = st.columns([2, 2])
with controls[0]:
    measure = st.selectbox(
        "Einfärbung der Gemeinden",
        list(MEASURES),
        format_func=lambda key: MEASURES[key][0],
        key="kartenmass",
        help="LZB je 1.000 Einwohner: LZB der gewählten Gruppe am Stichtag je 1.000 Einwohner "
        "der Gemeinde. Mit gewählten Hemmnissen kommen deren Verbreitung und Abdeckung hinzu.",
    )
with controls[1]:
    distance = st.slider(
        "Entfernung für Versorgungslücken (km)",
        min_value=1,
        max_value=50,
        value=int(round(settings.gap_distance_km)),
        key="entfernung",
        disabled=not group.barriers,
        help="Eine Gemeinde hat eine Versorgungslücke, wenn dort Personen mit dem Hemmnis leben, "
        "aber kein passendes Angebot in dieser Luftlinie erreichbar ist.",
    )

# the map at the chosen level: the municipalities of the chosen Länder and Jobcenters
unit = group.unit()
areas = data.map_areas(version)
shapes = maps.within(areas.geojson, unit)
measures = data.map_measures(version, as_of, protection, group).filter(
    pl.col("ags").is_in([feature["id"] for feature in shapes["features"]])
)
services = selection.directory_rows(
    data.active_directory(version, as_of, group.barriers), within=unit
)
reach = data.reach(version, as_of, protection, group, "provider_id")
points = maps.provider_points(services, reach, names)
gaps = data.gaps(version, as_of, protection, group, float(distance)) if group.barriers else None
gap_places = (
    sorted(set(gaps.filter(pl.col("gap"))["municipality"].to_list())) if gaps is not None else []
)

chart_with_download(
    maps.district_map(
        shapes,
        measures,
        measure=measure,
        measure_name=MEASURES[measure][0],
        kind=MEASURES[measure][1],
        providers=points,
        gaps=gap_places,
        schematic=areas.schematic,
        style=settings.map_style,
        attribution=areas.attribution,
    ),
    "district_map",
    "district_map",
    title=f"Netzwerkkarte: {MEASURES[measure][0]}",
    note=chart_note(dataset, chosen),
)
if not areas.attribution:
    source = (
        "Gemeindegrenzen schematisch, aus den Ortsmittelpunkten abgeleitet (keine amtlichen "
        "Grenzen); amtliche Grenzen lädt `teilhabe boundaries import` (BKG VG250)."
    )
else:
    source = (
        f"Gemeindegrenzen: {markdown_text(areas.source)}, {markdown_text(areas.attribution)}."
        + (
            f" {areas.schematic_count} Gemeinden ohne amtliche Grenze sind schematisch gezeichnet "
            "(aus den Ortsmittelpunkten)."
            if areas.schematic
            else ""
        )
    )
st.caption(
    f"{source} Punkte: {points['provider_id'].n_unique()} Träger mit am Stichtag aktiven "
    "Angeboten"
    + (
        f" an {points.height} Standorten"
        if points.height > points["provider_id"].n_unique()
        else ""
    )
    + (", die die gewählten Hemmnisse adressieren" if group.barriers else "")
    + "; Farbe nach der Leistungsart ihres ersten Angebots. Grau: kein Wert (zu kleine Gruppe). "
    + f"LZB je 1.000 Einwohner: {maps.population_note(measures)}, je Gemeinde der Stand, der "
    "dem Stichtag am nächsten liegt."
)

if group.barriers:
    st.header("Versorgungslücken")
    shown = gaps.with_columns(
        pl.col("municipality").replace_strict(names, default=pl.col("municipality")).alias("place"),
        pl.col("barrier_code")
        .replace_strict(labels, default=pl.col("barrier_code"))
        .alias("barrier"),
        pl.when(pl.col("gap")).then(pl.lit("ja")).otherwise(pl.lit("nein")).alias("gap_text"),
        # no active matching service anywhere: say so instead of a number
        pl.when(pl.col("distance_km").is_null())
        .then(pl.lit("keins"))
        .otherwise(
            pl.col("distance_km").round(1).cast(pl.String).str.replace(".", ",", literal=True)
        )
        .alias("distance_text"),
    ).sort("gap", "place", descending=[True, False])
    gap_columns = [
        Column("place", "Gemeinde"),
        Column("barrier", "Hemmnis"),
        Column("affected", "ELB mit dem Hemmnis", "count"),
        Column("distance_text", "nächstes passendes Angebot (km)"),
        Column("gap_text", f"Lücke (über {distance} km)"),
    ]
    table_with_downloads(
        shown,
        gap_columns,
        title="Versorgungslücken",
        dataset=dataset,
        selection=chosen,
        file_stem="netzwerkkarte_luecken",
        key="gap_table",
    )
else:
    st.info(
        "Wählen Sie in der Seitenleiste ein Hemmnis, um die Träger mit passenden Angeboten und "
        "die Gemeinden mit Versorgungslücken zu sehen.",
        icon=":material/filter_alt:",
    )

st.header("Werte je Gemeinde")
value_columns = [
    Column("name", "Gemeinde"),
    Column("population", "Einwohner", "count"),
    Column("population_date", "Stand Einwohnerzahl"),
    Column("elb", "ELB", "count"),
    Column("lzb", "LZB", "count"),
    Column("lzb_per_1000", "LZB je 1.000 Einwohner", "decimal"),
    Column("integration_rate", "Integrationsquote (K2)", "rate"),
]
if group.barriers:
    value_columns += [
        Column("barrier_share", "Anteil mit den Hemmnissen", "rate"),
        Column("coverage_rate", "Abdeckung", "rate"),
    ]
table_with_downloads(
    measures,
    value_columns,
    title="Werte je Gemeinde",
    dataset=dataset,
    selection=chosen,
    file_stem="netzwerkkarte_gemeinden",
    key="municipality_values",
)

components.glossary(
    ["lzb", "integration_rate", "barrier_coverage", "coverage_gap", "reach", "protection"]
)
components.confidentiality_footnote(protection)
