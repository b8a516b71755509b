"""The district map: municipalities shaded by a measure, providers as points, coverage gaps.

Plotly's MapLibre traces (``Choroplethmap``, ``Scattermap``) on the configured base style; the
default ``white-bg`` needs no internet. No text on the map itself (map labels would need a font
server): names, values and addresses are in the hover text; notes are plotly annotations.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl

from teilhabe.formatting import format_count, format_decimal, format_percent

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


def _view(geojson: dict, width: int = 900, height: int = 620) -> dict:
    """Centre and zoom that fit every feature of ``geojson`` into a map of about that size."""
    lons, lats = [], []

    def walk(coordinates) -> None:
        if isinstance(coordinates[0], int | float):
            lons.append(coordinates[0])
            lats.append(coordinates[1])
            return
        for part in coordinates:
            walk(part)

    for feature in geojson["features"]:
        walk(feature["geometry"]["coordinates"])
    if not lons:
        return {"center": {"lon": 10.0, "lat": 51.0}, "zoom": 5}
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    lon_span = max(east - west, 0.01)

    # Web Mercator: latitude span in projected units
    def mercator(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    lat_span = max(mercator(north) - mercator(south), 0.0002)
    zoom_x = math.log2(360 / lon_span * width / 512)
    zoom_y = math.log2(2 * math.pi / lat_span * height / 512)
    return {
        "center": {"lon": (west + east) / 2, "lat": (south + north) / 2},
        "zoom": max(1.0, min(zoom_x, zoom_y) - 0.45),  # a margin, and room for the note
    }


PER_INHABITANT = {"lzb_per_1000"}  # measures per inhabitants: shown with the population's date


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
    """The map.

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
                name=category,
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
                    "text": f"Gemeindegrenzen: {attribution}",
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


def provider_points(
    directory: pl.DataFrame, reach: pl.DataFrame, names: dict[str, str]
) -> pl.DataFrame:
    """One row per provider location for the map (a provider with several locations has a
    point at each): its first service's category as colour group, hover with name, services,
    address and reach (clients in the last 12 months, published)."""
    reached = dict(zip(reach["provider_id"].to_list(), reach["clients"].to_list(), strict=True))
    rows = []
    for (provider_id,), services in directory.group_by("provider_id", maintain_order=True):
        first = services.row(0, named=True)
        offers = "<br>".join(
            f"· {service} ({category})"
            for service, category in services.select("service", "category").iter_rows()
        )
        clients = reached.get(provider_id, 0)
        # the main location, then each further one (providers with several locations)
        for place in [first, *(first.get("locations") or [])]:
            if place["lat"] is None or place["lon"] is None:
                continue
            address = ", ".join(
                part
                for part in (
                    place["street"],
                    " ".join(p for p in (place["postcode"], place["city"]) if p),
                )
                if part
            )
            site = f"<br>Standort: {place['name']}" if place is not first and place["name"] else ""
            rows.append(
                {
                    "provider_id": provider_id,
                    "provider": first["provider"],
                    "category": first["category"],
                    "lat": place["lat"],
                    "lon": place["lon"],
                    "hover": (
                        f"<b>{first['provider']}</b>{site}<br>{address}"
                        f"<br>Gemeinde: {names.get(place['municipality_ags'], '')}"
                        f"<br>{offers}<br>Erreichte Personen (12 Monate): {format_count(clients)}"
                    ),
                }
            )
    schema = {
        "provider_id": pl.String,
        "provider": pl.String,
        "category": pl.String,
        "lat": pl.Float64,
        "lon": pl.Float64,
        "hover": pl.String,
    }
    return pl.DataFrame(rows, schema=schema).sort("category", "provider")
