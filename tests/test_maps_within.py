"""The map at the chosen level (``reporting.maps.within``) and the names drawn on it."""

import polars as pl

from teilhabe.reporting import maps
from teilhabe.selection import Filters


def square(ags: str, west: float, south: float) -> dict:
    ring = [
        [west, south],
        [west + 1, south],
        [west + 1, south + 1],
        [west, south + 1],
        [west, south],
    ]
    return {"type": "Feature", "id": ags, "properties": {"ags": ags},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip


AREAS = {
    "type": "FeatureCollection",
    "features": [
        square("08135019", 10, 48),
        square("08136088", 9, 48),
        square("09162000", 11, 48),
    ],
}


def ids(geojson: dict) -> list[str]:
    return [feature["id"] for feature in geojson["features"]]


def test_the_map_keeps_the_municipalities_of_the_chosen_unit() -> None:
    assert maps.within(AREAS, Filters()) is AREAS
    assert ids(maps.within(AREAS, Filters(jobcenters=("08135",)))) == ["08135019"]
    assert ids(maps.within(AREAS, Filters(lands=("08",)))) == ["08135019", "08136088"]
    assert ids(maps.within(AREAS, Filters(jobcenters=("08136", "09162")))) == [
        "08136088",
        "09162000",
    ]


def test_names_on_the_map_are_escaped_and_long_ones_break_into_two_lines() -> None:
    measures = pl.DataFrame(
        {
            "ags": ["08135019", "08136088", "09162000"],
            "name": ["Heidenheim an der Brenz", "<b>Ort</b>", "München"],
            "lzb_per_1000": [1.0, 2.0, None],
        }
    )
    providers = pl.DataFrame(
        schema={"provider_id": pl.String, "lat": pl.Float64, "lon": pl.Float64,
                "category": pl.String, "hover": pl.String}
    )  # fmt: skip
    figure = maps.svg_map(
        AREAS,
        measures,
        measure="lzb_per_1000",
        measure_name="LZB je 1.000 Einwohner",
        kind="decimal",
        providers=providers,
        gaps=[],
        schematic=True,
    )
    labels = next(t for t in figure.data if getattr(t, "mode", None) == "text")
    assert list(labels.text) == ["Heidenheim<br>an der Brenz", "&lt;b&gt;Ort&lt;/b&gt;", "München"]
