"""What a demo data set is: its spec (size, seed), its data version, and the constants that
calibrate it (the seed article's month and figures, the home district, the barrier prevalences).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data_access.periods import month_end, month_index

SEED = 20130924
AS_OF = month_index(dt.date(2013, 9, 30))  # the seed article's month
FIRST_MONTH = month_index(dt.date(2005, 1, 1))  # SGB II in force, Jobcenter founded
DATA_END = month_end(AS_OF)

# The seed's figures and the stock around them (Heidenheim, 09/2013).
LZB_4Y_PLUS = 1388
LZB_TOTAL = 2380
ELB_NOT_LZB = 1850
# Integrationsquote the synthetic integrations follow (national K2 in 2013: 24.3 %).
K2_TARGET = 0.25
# Leavers: clients whose receipt ended before 09/2013; they carry the history (trend, K2).
DEFAULT_CLIENTS = 24_000
# The flow model of receipt (per month, at the default scale; see ``_cases``): entries of the
# short-term kind (mean duration TAU_SHORT months) and of the long-term kind (TAU_LONG), a third
# more in 2005 than in 2013, and the transfers from unemployment assistance on 01.01.2005. The
# figures fit the seed's stock: 1,850 ELB under 21 months, 992 LZB under 4 years, 1,388 over.
ENTRY_SHORT, ENTRY_LONG = 110.0, 47.0
TAU_SHORT, TAU_LONG = 10.0, 60.0
ENTRY_TREND = 0.3
TRANSFERS_SHORT, TRANSFERS_LONG = 2650, 2500
TRANSFER_SHARE_4Y = 0.317  # of the LZB over 4 years: in receipt since 01.01.2005
# Who is integrated (``_integrations``): weight of integrations while receipt goes on against
# those at the end of a spell, how fast it falls with the months in receipt, and the weight of
# women against men.
IN_RECEIPT_WEIGHT = 0.4
IN_RECEIPT_DURATION = 150.0
WOMEN_WEIGHT = 0.6

HOME_DISTRICT = ("08135", "Landkreis Heidenheim", "Jobcenter Landkreis Heidenheim")
DEMO_DIR = Path(__file__).parent.parent / "demo_data"
# The real municipality boundaries of Landkreis Heidenheim in the seed's year: BKG VG250 edition
# 2013, generalised; redistribution allowed with the attribution "© GeoBasis-DE / BKG 2013 (Daten
# verändert)" ("Daten verändert" because the geometry is simplified).
DEMO_BOUNDARY_FILE = DEMO_DIR / "vg250_2013_heidenheim.geojson"
DEMO_BOUNDARY_SOURCE = "BKG VG250 2013, vereinfacht"
DEMO_BOUNDARY_YEAR = 2013

# Prevalence of each barrier for a client of average burden (probabilities, same order as
# BARRIER_CODES: qualification, language, health, mental_health, addiction, debts,
# family_care, housing, mobility, motivation).
BARRIER_BASE = np.array([0.42, 0.18, 0.26, 0.15, 0.06, 0.22, 0.17, 0.05, 0.18, 0.13])


@dataclass(frozen=True)
class DemoSpec:
    clients: int = DEFAULT_CLIENTS
    districts: int = 1
    seed: int = SEED

    @property
    def is_default(self) -> bool:
        return self == DemoSpec()


# Raise when the generator produces different data for the same spec: the version names the data
# (caches of the case copy are keyed on it), so a changed generator must not reuse it.
GENERATOR_REVISION = 4


def data_version(spec: DemoSpec) -> str:
    """The data version the demo records for ``spec``."""
    return f"demo-r{GENERATOR_REVISION}-{spec.seed}-{spec.clients}-{spec.districts}"


def outdated_spec(version: str) -> DemoSpec | None:
    """The spec of demo data written by an older revision of the generator (e.g. with the wrong
    municipality keys of revision 2), or None: other data, or the current revision."""
    match = re.fullmatch(r"demo-r(\d+)-(\d+)-(\d+)-(\d+)", version or "")
    if match is None or int(match[1]) >= GENERATOR_REVISION:
        return None
    return DemoSpec(clients=int(match[3]), districts=int(match[4]), seed=int(match[2]))
