"""The demo's catalogues and geography: districts, the 11 municipalities of Landkreis Heidenheim
(and invented ones for further districts), populations and the shipped 2013 boundaries.
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

import polars as pl

from teilhabe.definitions import BARRIERS, SERVICE_CATEGORIES
from teilhabe.demo.spec import (
    DEMO_BOUNDARY_FILE,
    DEMO_BOUNDARY_SOURCE,
    DEMO_BOUNDARY_YEAR,
    DEMO_DIR,
    HOME_DISTRICT,
)
from teilhabe.exchange.boundaries import (
    bkg_attribution,
    official_rows,
    read_boundary_file,
    schematic_boundaries,
)


def _catalogues() -> dict[str, pl.DataFrame]:
    return {
        "barrier": pl.DataFrame([vars(b) for b in BARRIERS]),
        "service_category": pl.DataFrame(
            [{"code": c.code, "label": c.label} for c in SERVICE_CATEGORIES]
        ),
        "service_category_barrier": pl.DataFrame(
            [
                {"category_code": c.code, "barrier_code": b}
                for c in SERVICE_CATEGORIES
                for b in c.barriers
            ]
        ),
    }


# --- Geography -------------------------------------------------------------------------------


def _geography(districts: int) -> dict[str, pl.DataFrame]:
    with (DEMO_DIR / "heidenheim.csv").open(encoding="utf-8") as handle:
        home = list(csv.DictReader(handle))
    district_rows = [dict(zip(("key", "name", "jobcenter_name"), HOME_DISTRICT, strict=True))]
    municipality_rows: list[dict[str, Any]] = [
        {
            "ags": row["ags"],
            "district_key": HOME_DISTRICT[0],
            "name": row["name"],
            "kind": row["kind"],
            "population": int(row["population"]),
            "population_date": dt.date.fromisoformat(row["population_date"]),
            "lat": float(row["lat"]),
            "lon": float(row["lon"]),
            "postcode": row["postcode"],
        }
        for row in home
    ]
    # Further districts for benchmarks: copies of Heidenheim's structure under synthetic keys
    # (state code 99 does not exist), shifted on the map so that they do not overlap.
    for number in range(2, districts + 1):
        key = f"99{number:03d}"
        district_rows.append(
            {"key": key, "name": f"Beispielkreis {number}", "jobcenter_name": f"Jobcenter {number}"}
        )
        for index, row in enumerate(municipality_rows[: len(home)]):
            municipality_rows.append(
                {
                    **row,
                    "ags": f"{key}{index + 1:03d}",
                    "district_key": key,
                    "name": f"Beispielort {number}-{index + 1}",
                    "lat": row["lat"] + 0.5 * ((number - 1) // 10),
                    "lon": row["lon"] + 0.6 * ((number - 1) % 10),
                }
            )
    return {
        "district": pl.DataFrame(district_rows),
        "municipality": pl.DataFrame(municipality_rows),
    }


def _boundaries(municipalities: pl.DataFrame) -> pl.DataFrame:
    """The real 2013 boundaries for Landkreis Heidenheim; schematic, clearly labelled polygons
    from the town centres for the synthetic districts of a scaled demo (no boundaries exist)."""
    official = official_rows(
        read_boundary_file(DEMO_BOUNDARY_FILE, district=HOME_DISTRICT[0]),
        DEMO_BOUNDARY_SOURCE,
        bkg_attribution(DEMO_BOUNDARY_YEAR),
    ).filter(pl.col("ags").is_in(municipalities["ags"].implode()))
    rest = municipalities.filter(~pl.col("ags").is_in(official["ags"].implode()))
    parts = [official, schematic_boundaries(rest)] if rest.height else [official]
    return municipalities.select("ags").join(
        pl.concat(parts), on="ags", how="inner", maintain_order="left"
    )


# --- Providers and services ------------------------------------------------------------------
