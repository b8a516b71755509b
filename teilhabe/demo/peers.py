"""The demo's comparison group: synthetic published Kennzahlen of invented Jobcenters of the
demo Jobcenter's Vergleichstyp, of Baden-Württemberg and of Germany
(``demo_data/peers_synthetic.csv``, written by ``script/demo_peers.py``, every row marked
synthetic). Read with the import's own month parser, so the file is what an import takes.
"""

from __future__ import annotations

import polars as pl

from teilhabe.demo.spec import DEMO_DIR
from teilhabe.exchange.kennzahl_tables import parse_month_text

PEER_FILE = DEMO_DIR / "peers_synthetic.csv"
COLUMNS = {
    "Jobcenter-Schlüssel": "jobcenter_key",
    "Jobcenter": "jobcenter_name",
    "Vergleichstyp": "comparison_type",
    "Land": "land",
    "Monat": "month",
    "Kennzahl": "code",
    "Wert": "value",
    "Synthetisch": "synthetic",
}


def demo_peer_figures() -> pl.DataFrame:
    """The rows of the table ``peer_figure`` for the demo."""
    frame = pl.read_csv(PEER_FILE, separator=";", infer_schema=False).rename(COLUMNS)
    return frame.with_columns(
        pl.col("comparison_type").replace("", None),
        pl.col("land").replace("", None),
        pl.col("month").map_elements(parse_month_text, return_dtype=pl.Int64),
        pl.col("value").str.replace(",", ".").cast(pl.Float64),
        (pl.col("synthetic") == "ja").alias("synthetic"),
    )
