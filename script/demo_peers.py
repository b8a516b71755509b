"""Write the synthetic peer figures of the demo (teilhabe/demo_data/peers_synthetic.csv).

Invented Jobcenters of an invented comparison group around Landkreis Heidenheim, with plausible
values of the Kennzahlen nach § 48a SGB II for 09/2012 to 09/2013 (K2 in the mid-20s, BW above
Germany's 24.3 %). Every row is marked synthetic. Run: uv run python script/demo_peers.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "teilhabe" / "demo_data" / "peers_synthetic.csv"
TYPE = "IIIb"
# key, name, Land; the keys 99xxx are no real keys
PEERS = [
    ("99101", "Jobcenter Landkreis Albvorland (synthetisch)", "BW"),
    ("99102", "Jobcenter Landkreis Brenztal-Nord (synthetisch)", "BW"),
    ("99103", "Jobcenter Landkreis Härtsfeld (synthetisch)", "BW"),
    ("99104", "Jobcenter Landkreis Oberer Neckar (synthetisch)", "BW"),
    ("99105", "Jobcenter Landkreis Schwarzwald-Ost (synthetisch)", "BW"),
    ("99201", "Jobcenter Landkreis Donauried (synthetisch)", "BY"),
    ("99202", "Jobcenter Landkreis Altmühlgrund (synthetisch)", "BY"),
    ("99203", "Jobcenter Landkreis Frankenhöhe (synthetisch)", "BY"),
    ("99301", "Jobcenter Landkreis Vogelsberg-Süd (synthetisch)", "HE"),
    ("99302", "Jobcenter Landkreis Lahn-Taunus (synthetisch)", "HE"),
    ("99401", "Jobcenter Landkreis Westerwald-Nord (synthetisch)", "RP"),
    ("99501", "Jobcenter Landkreis Weserbergland-Ost (synthetisch)", "NI"),
]
# code -> (centre, spread between Jobcenters, drift over the year)
FIGURES = {
    "K1": (-1.5, 2.5, 0.5),
    "K1E1": (1.5, 2.0, 0.5),
    "K1E2": (-2.0, 2.5, 0.5),
    "K1E3": (3.1, 0.5, 0.1),
    "K1E4": (3.4, 0.5, 0.1),
    "K2": (26.0, 2.5, 0.6),
    "K2E3": (63.0, 4.0, 0.8),
    "K2E4": (21.5, 3.0, 0.6),
    "K3": (-3.0, 3.0, 0.6),
    "K3E1": (15.5, 2.5, 0.5),
    "K3E2": (10.0, 2.0, 0.4),
    "K3E3": (1.6, 0.3, 0.05),
    "K3E4": (2.4, 0.4, 0.05),
}
BOUNDS = {"K2": (20.0, 31.0)}  # K2 of the group in the 20s, as in the brief of the demo
AGGREGATES = {  # Germany and Baden-Württemberg
    ("DE", "Deutschland (synthetisch)"): {
        "K1": -0.8,
        "K1E1": 2.1,
        "K1E2": -1.2,
        "K1E3": 3.3,
        "K1E4": 3.4,
        "K2": 24.3,
        "K2E3": 61.0,
        "K2E4": 20.1,
        "K3": -1.5,
        "K3E1": 14.6,
        "K3E2": 9.4,
        "K3E3": 1.7,
        "K3E4": 2.2,
    },
    ("BW", "Baden-Württemberg (synthetisch)"): {
        "K1": -1.9,
        "K1E1": 1.4,
        "K1E2": -2.4,
        "K1E3": 3.2,
        "K1E4": 3.6,
        "K2": 27.6,
        "K2E3": 64.0,
        "K2E4": 22.8,
        "K3": -3.4,
        "K3E1": 16.8,
        "K3E2": 10.6,
        "K3E3": 1.5,
        "K3E4": 2.5,
    },
}
OWN = ("08135", "Jobcenter Landkreis Heidenheim", "BW")
MONTHS = [(2012, 9), *((2012, m) for m in range(10, 13)), *((2013, m) for m in range(1, 10))]


def main() -> None:
    rng = np.random.default_rng(20130924)
    rows = []
    for key, name, land in [*PEERS, OWN]:
        for code, (centre, spread, drift) in FIGURES.items():
            level = centre + rng.normal(0, spread)
            for month in MONTHS:
                level += rng.normal(0, drift / 4)
                low, high = BOUNDS.get(code, (-100.0, 100.0))
                rows.append((key, name, TYPE, land, month, code, min(max(level, low), high)))
    for (key, name), values in AGGREGATES.items():
        for code, value in values.items():
            for month in MONTHS:
                rows.append((key, name, "", "" if key == "DE" else key, month, code, value))
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(
            [
                "Jobcenter-Schlüssel",
                "Jobcenter",
                "Vergleichstyp",
                "Land",
                "Monat",
                "Kennzahl",
                "Wert",
                "Synthetisch",
            ]
        )
        for key, name, kind, land, (year, month), code, value in rows:
            number = f"{value:.1f}".replace(".", ",")
            writer.writerow([key, name, kind, land, f"{month:02d}.{year}", code, number, "ja"])


if __name__ == "__main__":
    main()
