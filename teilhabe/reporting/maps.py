"""The district map: municipalities shaded by a measure, providers as points, coverage gaps.

With the default base style ``white-bg`` the map is drawn with plotly's geo traces (``Choropleth``,
``Scattergeo``): plain SVG, so the municipality names are written on the map without any font or
tile server, and the chart exports like any other. plotly.js asks for a world outline
(``world_110m.json``) even when it draws none; an empty one is served from ``static/``
(``chart_style.TOPOJSON_URL``) and handed to kaleido (``chart_style.TOPOJSON_DIR``). Providers at
the same place are spread on a small ring around it, so every dot can be seen and hovered. The
legend names the service categories and the coverage-gap outline; the colour bar lies under the
map, so that the map keeps the full width on a phone.

With a tile style (``TEILHABE_MAP_STYLE``: OpenStreetMap, carto) the map uses the MapLibre traces
(``Choroplethmap``, ``Scattermap``); there names are in the hover only (MapLibre text would need a
font server). Where things go (view, centres, labels, provider points) is
``teilhabe.reporting.map_geometry``.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl

from teilhabe.reporting.chart_style import TEXT, styled
from teilhabe.reporting.formatting import format_decimal, format_percent
from teilhabe.reporting.map_geometry import (
    _bounds,
    _centres,
    _clockwise,
    _label_points,
    _short_name,
    _span,
    _view,
    provider_points,
    spread_points,
)
from teilhabe.reporting.text import html_text
from teilhabe.selection import Filters, in_area

__all__ = ["district_map", "population_note", "provider_points", "spread_points"]

# Points must stand out on the blue shading: warm and dark colours, no blue, no gap red.
CATEGORY_COLOURS = (
    "#e07b39",
    "#2f7d4f",
    "#7a3b69",
    "#d4a017",
    "#222831",
    "#b5446e",
    "#8c6d1f",
    "#5e8c31",
    "#9b5de5",
    "#6b4226",
)
GAP_COLOUR = "#c0392b"
NO_DATA = "#e6e9ed"


PER_INHABITANT = {"lzb_per_1000"}  # measures per inhabitants: shown with the population's date


def within(geojson: dict, area: Filters) -> dict:
    """The FeatureCollection (features with ``id`` = AGS) of the municipalities in ``area``
    (``selection.in_area``); unchanged without an area. The maps fit their view to the
    features, so the map shows the chosen Jobcenter(s) whole."""
    if not area.has_area:
        return geojson
    features = [f for f in geojson["features"] if in_area(area, str(f.get("id", "")))]
    return {**geojson, "features": features}


def population_note(measures: pl.DataFrame) -> str:
    """The reference dates of the populations in ``measures`` (column ``population_date``,
    text 31.12.2022): "Einwohner: Stand 31.12.2022" or "... 30.09.2018 bis 31.12.2023 (je
    Gemeinde)"; empty without the column."""
    if "population_date" not in measures.columns:
        return ""
    dates = sorted(
        set(measures["population_date"].drop_nulls().to_list()),
        key=lambda day: (day[6:], day[3:5], day[:2]),
    )
    if not dates:
        return "Einwohner: Stand unbekannt"
    if len(dates) == 1:
        return f"Einwohner: Stand {dates[0]}"
    return f"Einwohner: Stand {dates[0]} bis {dates[-1]} (je Gemeinde)"


def district_map(
    geojson: dict,
    measures: pl.DataFrame,
    *,
    measure: str,
    measure_name: str,
    kind: str,
    providers: pl.DataFrame,
    gaps: list[str],
    schematic: bool,
    style: str,
    attribution: str = "",
) -> go.Figure:
    """The map (arguments as ``tile_map``): SVG with names for ``white-bg``, else MapLibre."""
    arguments: dict[str, Any] = {
        "measure": measure,
        "measure_name": measure_name,
        "kind": kind,
        "providers": providers,
        "gaps": gaps,
        "schematic": schematic,
        "attribution": attribution,
    }
    if style == "white-bg":
        return svg_map(geojson, measures, **arguments)
    return tile_map(geojson, measures, style=style, **arguments)


def svg_map(
    geojson: dict,
    measures: pl.DataFrame,
    *,
    measure: str,
    measure_name: str,
    kind: str,
    providers: pl.DataFrame,
    gaps: list[str],
    schematic: bool,
    attribution: str = "",
) -> go.Figure:
    """The map as SVG (plotly geo), municipality names on it; see ``tile_map`` for arguments."""
    geojson = _clockwise(geojson)
    ags = measures["ags"].to_list()
    names = measures["name"].to_list()
    values = measures[measure].to_list()
    shown = [format_percent(v) if kind == "rate" else format_decimal(v, 1) for v in values]
    hover = [
        f"<b>{html_text(n)}</b><br>{measure_name}: {t}" for n, t in zip(names, shown, strict=True)
    ]
    outline = {"line": {"color": "#ffffff", "width": 1.5}}
    figure = go.Figure()
    # every municipality in grey first: a suppressed value leaves its area grey, not missing
    figure.add_trace(
        go.Choropleth(
            geojson=geojson,
            featureidkey="id",
            locations=ags,
            z=[0] * len(ags),
            colorscale=[[0, NO_DATA], [1, NO_DATA]],
            showscale=False,
            marker=outline,
            text=hover,
            hovertemplate="%{text}<extra></extra>",
            name="Gemeinden",
            showlegend=False,
        )
    )
    known = [i for i, v in enumerate(values) if v is not None]
    low = min((values[i] for i in known), default=0.0)
    high = max((values[i] for i in known), default=1.0)
    if known:
        figure.add_trace(
            go.Choropleth(
                geojson=geojson,
                featureidkey="id",
                locations=[ags[i] for i in known],
                z=[values[i] for i in known],
                zmin=low,
                zmax=high,
                colorscale="Blues",
                marker=outline,
                colorbar={
                    "title": {"text": measure_name, "side": "top"},
                    "ticksuffix": " %" if kind == "rate" else "",
                    "orientation": "h",
                    "x": 0.5,
                    "xanchor": "center",
                    "y": 0,
                    "yanchor": "top",
                    "len": 0.8,
                    "thickness": 14,
                },
                text=[hover[i] for i in known],
                hovertemplate="%{text}<extra></extra>",
                name=measure_name,
                showlegend=False,
            )
        )
    if gaps:
        figure.add_trace(
            go.Choropleth(
                geojson=geojson,
                featureidkey="id",
                locations=gaps,
                z=[1] * len(gaps),
                colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                showscale=False,
                marker={"line": {"color": GAP_COLOUR, "width": 4}},
                hoverinfo="skip",
                name="Versorgungslücke",
                showlegend=False,
            )
        )
        # the legend's symbol for the outline (a choropleth has none of its own)
        figure.add_trace(
            go.Scattergeo(
                lon=[None],
                lat=[None],
                mode="markers",
                marker={
                    "symbol": "square-open",
                    "size": 16,
                    "color": GAP_COLOUR,
                    "line": {"width": 3},
                },
                name="Versorgungslücke (rot umrandet)",
                hoverinfo="skip",
            )
        )
    # names on the map, dark on light shading and white on dark shading
    span = _span(geojson)
    spread = spread_points(providers, span=span)
    centres = _label_points(_centres(geojson), spread, span)
    placed = [i for i, code in enumerate(ags) if code in centres]
    figure.add_trace(
        go.Scattergeo(
            lon=[centres[ags[i]][0] for i in placed],
            lat=[centres[ags[i]][1] for i in placed],
            mode="text",
            textposition="top center",  # above the town centre, where the providers' dots are
            # the name escaped, the line break of a long one kept as markup
            text=[
                "<br>".join(html_text(line) for line in _short_name(names[i]).split("<br>"))
                for i in placed
            ],
            textfont={
                "size": 12,
                "color": [
                    "#ffffff"
                    if values[i] is not None
                    and high > low
                    and (values[i] - low) / (high - low) > 0.6
                    else TEXT
                    for i in placed
                ],
            },
            hoverinfo="skip",
            showlegend=False,
            name="Gemeindenamen",
        )
    )
    for number, ((category,), rows) in enumerate(spread.group_by("category", maintain_order=True)):
        figure.add_trace(
            go.Scattergeo(
                lat=rows["lat"].to_list(),
                lon=rows["lon"].to_list(),
                mode="markers",
                marker={
                    "size": 12,
                    "color": CATEGORY_COLOURS[number % len(CATEGORY_COLOURS)],
                    "line": {"color": "#ffffff", "width": 1.5},
                },
                text=rows["hover"].to_list(),
                hovertemplate="%{text}<extra></extra>",
                name=html_text(category),
            )
        )
    notes = []
    if schematic:
        notes.append("Gemeindegrenzen schematisch (keine amtlichen Grenzen)")
    if spread.height and spread["spread"].any():
        notes.append("Träger am selben Ort nebeneinander gezeichnet")
    # the district's own bounding box (a little margin for names and dots), not plotly's
    # "fitbounds", which leaves the district small in the middle of the picture
    (west, south), (east, north) = _bounds(geojson)
    pad_lon, pad_lat = (east - west) * 0.04, (north - south) * 0.04
    figure.update_geos(
        lonaxis_range=[west - pad_lon, east + pad_lon],
        lataxis_range=[south - pad_lat, north + pad_lat],
        visible=False,
        projection_type="mercator",
        resolution=110,
        bgcolor="#ffffff",
    )
    figure.update_layout(
        margin={"l": 0, "r": 0, "t": 8, "b": 8},
        height=620,
        legend={"orientation": "h", "itemsizing": "constant"},
        separators=",.",
        annotations=(
            [
                {
                    "text": "<br>".join(notes),
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0,
                    "y": 1,
                    "xanchor": "left",
                    "yanchor": "top",
                    "align": "left",
                    "showarrow": False,
                    "bgcolor": "rgba(255,255,255,0.9)",
                    "font": {"size": 12, "color": "#33414e"},
                }
            ]
            if notes
            else []
        )
        + (
            [  # the copyright line of the official boundaries, also on slides and in PNGs
                {
                    "text": attribution,  # the copyright line itself, short enough for a phone
                    "xref": "paper",
                    "yref": "paper",
                    "x": 1,
                    "y": 0,
                    "xanchor": "right",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "bgcolor": "rgba(255,255,255,0.9)",
                    "font": {"size": 11, "color": "#33414e"},
                }
            ]
            if attribution
            else []
        ),
    )
    return styled(figure)


def tile_map(
    geojson: dict,
    measures: pl.DataFrame,
    *,
    measure: str,
    measure_name: str,
    kind: str,
    providers: pl.DataFrame,
    gaps: list[str],
    schematic: bool,
    style: str,
    attribution: str = "",
) -> go.Figure:
    """The map with MapLibre traces on a tile style.

    ``geojson``: FeatureCollection whose features have ``id`` = AGS. ``measures``: ags, name and
    the ``measure`` column (null = suppressed or not defined), ``kind`` "rate" (percent) or
    "decimal". ``providers``: one row per provider with lat, lon, provider, category (colour
    group), hover (text). ``gaps``: AGS to outline as coverage gaps. ``attribution``: the
    copyright line of the official boundaries, written on the map (so also on slides and PNGs).
    """
    ags = measures["ags"].to_list()
    values = measures[measure].to_list()
    shown = [format_percent(v) if kind == "rate" else format_decimal(v, 1) for v in values]
    hover = [
        f"<b>{name}</b><br>{measure_name}: {text}"
        for name, text in zip(measures["name"].to_list(), shown, strict=True)
    ]
    per_inhabitant = measure in PER_INHABITANT and "population_date" in measures.columns
    if per_inhabitant:  # the population's reference date next to the value
        hover = [
            f"{text}<br>Einwohner: Stand {day or 'unbekannt'}"
            for text, day in zip(hover, measures["population_date"].to_list(), strict=True)
        ]
    scale_title = measure_name + (
        f"<br><sub>{population_note(measures)}</sub>" if per_inhabitant else ""
    )
    figure = go.Figure()
    # every municipality in grey first: a suppressed value leaves its area grey, not missing
    figure.add_trace(
        go.Choroplethmap(
            geojson=geojson,
            locations=ags,
            z=[0] * len(ags),
            colorscale=[[0, NO_DATA], [1, NO_DATA]],
            showscale=False,
            marker={"line": {"color": "#ffffff", "width": 1.5}},
            text=hover,
            hovertemplate="%{text}<extra></extra>",
            name="Gemeinden",
            showlegend=False,
        )
    )
    known = [i for i, v in enumerate(values) if v is not None]
    if known:
        figure.add_trace(
            go.Choroplethmap(
                geojson=geojson,
                locations=[ags[i] for i in known],
                z=[values[i] for i in known],
                colorscale="Blues",
                marker={"line": {"color": "#ffffff", "width": 1.5}, "opacity": 0.85},
                colorbar={
                    "title": {"text": scale_title, "side": "right"},
                    "ticksuffix": " %" if kind == "rate" else "",
                    "len": 0.6,
                    "y": 0.65,
                },
                text=[hover[i] for i in known],
                hovertemplate="%{text}<extra></extra>",
                name=measure_name,
                showlegend=False,
            )
        )
    if gaps:
        figure.add_trace(
            go.Choroplethmap(
                geojson=geojson,
                locations=gaps,
                z=[1] * len(gaps),
                colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                showscale=False,
                marker={"line": {"color": GAP_COLOUR, "width": 4}},
                hoverinfo="skip",
                name="Versorgungslücke",
                showlegend=True,
            )
        )
    for number, ((category,), rows) in enumerate(
        providers.group_by("category", maintain_order=True)
    ):
        figure.add_trace(
            go.Scattermap(
                lat=rows["lat"].to_list(),
                lon=rows["lon"].to_list(),
                mode="markers",
                marker={"size": 15, "color": CATEGORY_COLOURS[number % len(CATEGORY_COLOURS)]},
                text=rows["hover"].to_list(),
                hovertemplate="%{text}<extra></extra>",
                name=html_text(category),
            )
        )
    notes = []
    if schematic:
        notes.append(
            "Gemeindegrenzen schematisch, wo keine amtlichen vorliegen (aus den Ortsmittelpunkten)"
        )
    if gaps:
        notes.append("rot umrandet: Versorgungslücke")
    figure.update_layout(
        map={"style": style, **_view(geojson)},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        height=620,
        legend={"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0},
        separators=",.",
        annotations=(
            [
                {
                    "text": " · ".join(notes),
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.01,
                    "y": 0.99,
                    "xanchor": "left",
                    "yanchor": "top",
                    "showarrow": False,
                    "bgcolor": "rgba(255,255,255,0.85)",
                    "font": {"size": 12, "color": "#33414e"},
                }
            ]
            if notes
            else []
        )
        + (
            [
                {
                    "text": attribution,  # the copyright line itself, short enough for a phone
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.99,
                    "y": 0.01,
                    "xanchor": "right",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "bgcolor": "rgba(255,255,255,0.85)",
                    "font": {"size": 11, "color": "#33414e"},
                }
            ]
            if attribution
            else []
        ),
    )
    return figure
