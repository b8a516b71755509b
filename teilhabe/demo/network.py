"""The demo's network: the invented providers, their services, locations and network events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from teilhabe.definitions import SERVICE_CATEGORIES
from teilhabe.demo.spec import (
    HOME_DISTRICT,
)

# Invented organisations: (id, name, kind, town index in heidenheim.csv, street, categories).
PROVIDERS: tuple[tuple[str, str, str, int, str, tuple[str, ...]], ...] = (
    (
        "P01",
        "Bildungswerk Brenztal",
        "education",
        3,
        "Uferweg 4",
        ("vocational_training", "activation"),
    ),
    ("P02", "Lernwerkstatt Ostalb-Nord", "education", 2, "Am Kanal 11", ("vocational_training",)),
    ("P03", "Sprachschule Albuch", "education", 3, "Lindenplatz 2", ("language_course",)),
    (
        "P04",
        "Schuldner- und Insolvenzberatung Brenzaue",
        "counselling",
        3,
        "Marktgasse 7",
        ("debt_counselling",),
    ),
    ("P05", "Suchthilfe Härtsfeld", "counselling", 3, "Talstraße 19", ("addiction_counselling",)),
    (
        "P06",
        "Psychosozialer Dienst Albrand",
        "counselling",
        3,
        "Rosenweg 3",
        ("psychosocial_support",),
    ),
    ("P07", "Familienzentrum Brenzblick", "welfare", 2, "Schillerstraße 21", ("childcare",)),
    (
        "P08",
        "Diakonieverein Eselsburger Tal",
        "welfare",
        4,
        "Kirchplatz 1",
        ("psychosocial_support", "housing_support"),
    ),
    (
        "P09",
        "Caritasgemeinschaft Hürbe",
        "welfare",
        2,
        "Hürbestraße 8",
        ("debt_counselling", "childcare"),
    ),
    (
        "P10",
        "Arbeiterhilfe Ostalbrand",
        "welfare",
        3,
        "Bahnhofstraße 30",
        ("housing_support", "activation"),
    ),
    (
        "P11",
        "Kreisfachstelle Wohnungsnotfälle",
        "authority",
        3,
        "Felsenstraße 36",
        ("housing_support",),
    ),
    (
        "P12",
        "Kommunaler Pflegestützpunkt Brenztal",
        "authority",
        4,
        "Rathausplatz 2",
        ("childcare",),
    ),
    (
        "P13",
        "Gesundheitsamt-Außenstelle Albuch",
        "authority",
        3,
        "Felsenstraße 40",
        ("health_support",),
    ),
    (
        "P14",
        "Kammerbüro Ausbildung Ostwürttemberg-Nord",
        "chamber",
        3,
        "Ludwig-Lang-Weg 5",
        ("vocational_training",),
    ),
    ("P15", "Handwerksforum Brenz", "chamber", 2, "Memminger Torplatz 6", ("vocational_training",)),
    ("P16", "Mobilitätsbüro Ostalb-Nord", "counselling", 3, "Am Bahnhof 1", ("mobility_support",)),
    (
        "P17",
        "Gesundheitstreff Gerstetten",
        "welfare",
        1,
        "Brunnengasse 9",
        ("health_support", "activation"),
    ),
    (
        "P18",
        "Jugendwerkstatt Königsbronn",
        "education",
        6,
        "Hammerschmiede 2",
        ("vocational_training", "activation"),
    ),
    (
        "P19",
        "Beratungsladen Niederstotzingen",
        "counselling",
        8,
        "Stettener Straße 14",
        ("debt_counselling", "psychosocial_support"),
    ),
    (
        "P20",
        "Frauen- und Familienhilfe Sontheim",
        "welfare",
        9,
        "Brenzstraße 5",
        ("childcare", "psychosocial_support"),
    ),
)
MEASURE_CATEGORIES = {"vocational_training", "language_course", "activation"}


def _network(rng: np.random.Generator, municipalities: pl.DataFrame) -> dict[str, pl.DataFrame]:
    providers: list[dict[str, Any]] = []
    services: list[dict[str, Any]] = []
    areas: list[dict[str, Any]] = []
    participants: list[str] = []
    for district_key, munis in municipalities.group_by("district_key", maintain_order=True):
        rows = munis.to_dicts()
        prefix = "" if district_key[0] == HOME_DISTRICT[0] else f"{district_key[0]}-"
        for pid, name, kind, town, street, categories in PROVIDERS:
            muni = rows[town]
            provider_id = f"{prefix}{pid}"
            providers.append(
                {
                    "id": provider_id,
                    "name": name if not prefix else f"{name} ({muni['name']})",
                    "kind": kind,
                    "street": street,
                    "postcode": muni["postcode"],
                    "city": muni["name"],
                    "municipality_ags": muni["ags"],
                    "lat": round(muni["lat"] + rng.normal(0, 0.004), 5),
                    "lon": round(muni["lon"] + rng.normal(0, 0.006), 5),
                    "email": f"kontakt@{pid.lower()}.example.org",
                    "phone": f"07321 {100000 + int(pid[1:]) * 1111}",
                    "website": f"https://{pid.lower()}.example.org",
                }
            )
            participants.append(provider_id)
            for number, category in enumerate(categories, start=1):
                service_id = f"{provider_id}-S{number}"
                label = next(c.label for c in SERVICE_CATEGORIES if c.code == category)
                services.append(
                    {
                        "id": service_id,
                        "provider_id": provider_id,
                        "name": f"{label} ({name.split()[0]})",
                        "category_code": category,
                        "capacity": int(rng.integers(2, 9)) * 5,
                        "labour_market_measure": category in MEASURE_CATEGORIES,
                        "active_from": dt.date(2005, 1, 1)
                        + dt.timedelta(days=int(rng.integers(0, 1500))),
                        "active_to": None,
                    }
                )
                # Providers in the district town serve everybody; the others their own town
                # and the nearest neighbours, which leaves real coverage gaps on the map.
                served = rows if town == 3 else _nearest(rows, town, 3)
                areas.extend(
                    {"service_id": service_id, "municipality_ags": m["ags"]} for m in served
                )

    events = pl.DataFrame(
        {
            "id": [1, 2],
            "district_key": [HOME_DISTRICT[0]] * 2,
            "date": [dt.date(2012, 10, 16), dt.date(2013, 9, 24)],
            "title": ["1. Netzwerkkonferenz", "2. Netzwerkkonferenz mit Markt der Möglichkeiten"],
            "attendees": [110, 150],
            "location": ["Heidenheim an der Brenz"] * 2,
        }
    )
    home_providers = [p for p in participants if "-" not in p]
    event_providers = [{"event_id": 2, "provider_id": p} for p in home_providers] + [
        {"event_id": 1, "provider_id": p} for p in home_providers[:14]
    ]
    return {
        "provider": pl.DataFrame(providers),
        "service": pl.DataFrame(services),
        "service_area": pl.DataFrame(areas),
        "network_event": events,
        "network_event_provider": pl.DataFrame(event_providers),
    }


def _nearest(rows: list[dict], index: int, count: int) -> list[dict]:
    here = rows[index]
    return sorted(
        rows, key=lambda r: (r["lat"] - here["lat"]) ** 2 + (r["lon"] - here["lon"]) ** 2
    )[:count]


# --- Case data -------------------------------------------------------------------------------
