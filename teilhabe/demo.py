"""Deterministic synthetic demo data: Landkreis Heidenheim as of September 2013, and more.

The default data set reproduces the figures of the seed article by construction of the case data,
not by storing them: as of 09/2013 the spells give exactly 2,380 LZB (21 of 24 months), 1,388 of
them in current receipt for four years or longer. The rest is plausible and consistent, and
calibrated against published values (K2 in the mid-20s with men clearly above women, K3E1 in the
mid-teens, K3E2 around 10 %): barriers accumulate with the duration of receipt, the chance of an
integration falls with the number of barriers and the duration, and stocks, spell ends and
integrations run at their usual rate through the last day of the data (no artefact in the last
month). The 11 municipalities carry their official keys and the real 2013 boundaries (BKG VG250
2013, shipped in ``demo_data``). Provider names are invented; every figure is synthetic.

The same generator scales (``clients``, ``districts``) for benchmarks; then the district's figures
scale along and are no longer the seed's.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from data_access.periods import OPEN_END_MONTH, month_end, month_index
from data_access.store import holds_real_data, replace_dataset
from teilhabe.definitions import BARRIER_CODES, BARRIERS, SERVICE_CATEGORIES
from teilhabe.exchange.boundaries import (
    bkg_attribution,
    official_rows,
    read_boundary_file,
    schematic_boundaries,
)

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
DEMO_DIR = Path(__file__).parent / "demo_data"
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
GENERATOR_REVISION = 3


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


def generate(spec: DemoSpec = DemoSpec()) -> dict[str, pl.DataFrame]:
    """All tables of the demo data set, as polars frames keyed by table name."""
    rng = np.random.default_rng(spec.seed)
    geography = _geography(spec.districts)
    network = _network(rng, geography["municipality"])
    per_district = spec.clients / spec.districts
    scale = per_district / DEFAULT_CLIENTS
    cases = [
        _cases(rng, district_key, munis, scale)
        for district_key, munis in geography["municipality"].group_by(
            "district_key", maintain_order=True
        )
    ]
    case_tables = {name: pl.concat([c[name] for c in cases]) for name in cases[0]}
    referrals = _referrals(rng, case_tables, network, geography["municipality"])
    return {
        **_catalogues(),
        **geography,
        "municipality_boundary": _boundaries(geography["municipality"]),
        **network,
        **case_tables,
        "referral": referrals,
        "dataset_info": pl.DataFrame(
            {
                "key": ["as_of", "synthetic", "source", "data_version"],
                "value": [
                    f"{AS_OF // 12:04d}-{AS_OF % 12 + 1:02d}",
                    "true",
                    "Synthetischer Demodatensatz des Teilhabe-Monitors "
                    f"(Seed {spec.seed}, {spec.clients:,} Personen, {spec.districts} Kreis(e))",
                    data_version(spec),
                ],
            }
        ),
    }


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


def _cases(
    rng: np.random.Generator, district_key: tuple[str], munis: pl.DataFrame, scale: float
) -> dict[str, pl.DataFrame]:
    """Clients, spells, barriers and integrations of one district.

    Receipt follows one flow model throughout: each month people enter, of a short-term kind
    (leaving after ``TAU_SHORT`` months on average) or a long-term kind (``TAU_LONG``), and on
    01.01.2005 the recipients of unemployment assistance came over. The people still in receipt
    in 09/2013 are built with exactly the seed's counts, their starts following the survivors
    of that model; the leavers are drawn from the same model. So stocks and flows run smoothly
    through the last month, with no pile of exits or entries at the end of the data.
    """
    key = district_key[0]
    n_4y = round(LZB_4Y_PLUS * scale)
    n_lzb = round(LZB_TOTAL * scale) - n_4y
    n_short = round(ELB_NOT_LZB * scale)
    n_current = n_4y + n_lzb + n_short
    n_leavers = max(round(DEFAULT_CLIENTS * scale) - n_current, 0)

    spells_client, spells_start, spells_end = [], [], []  # month indices; end = last month

    # 1. In receipt for four years or longer: current spell started 2005-01 .. 09/2009; about a
    #    third came over from unemployment assistance on 01.01.2005.
    start = np.where(
        rng.random(n_4y) < TRANSFER_SHARE_4Y,
        FIRST_MONTH,
        AS_OF - _survivor_durations(rng, n_4y, 48, AS_OF - FIRST_MONTH - 1),
    )
    ids = np.arange(n_4y)
    spells_client.append(ids)
    spells_start.append(start)
    spells_end.append(np.full(n_4y, OPEN_END_MONTH))

    # 2. Other LZB: in current receipt for 21 months to < 4 years; some with a short
    #    interruption of 1 to 3 months within the last two years (21 to 23 of 24 months).
    ids = np.arange(n_4y, n_4y + n_lzb)
    interrupted = rng.random(n_lzb) < 0.15
    gap = rng.integers(1, 4, n_lzb)
    k = np.array([rng.integers(2, 23 - g) for g in gap])  # current spell covers k + 1 months
    start = np.where(interrupted, AS_OF - k, AS_OF - _survivor_durations(rng, n_lzb, 20, 47))
    spells_client.append(ids)
    spells_start.append(start)
    spells_end.append(np.full(n_lzb, OPEN_END_MONTH))
    prev_ids = ids[interrupted]
    prev_end = (AS_OF - k - 1 - gap)[interrupted]
    prev_start = rng.integers(FIRST_MONTH, AS_OF - 30, prev_ids.size)
    spells_client.append(prev_ids)
    spells_start.append(np.minimum(prev_start, prev_end - 6))
    spells_end.append(prev_end)

    # 3. ELB who are not LZB: current receipt of at most 20 months; a quarter had an earlier
    #    spell that ended four or more months before the current one began.
    ids = np.arange(n_4y + n_lzb, n_current)
    start = AS_OF - _survivor_durations(rng, n_short, 0, 19)
    spells_client.append(ids)
    spells_start.append(start)
    spells_end.append(np.full(n_short, OPEN_END_MONTH))
    earlier = rng.random(n_short) < 0.25
    prev_end = start[earlier] - rng.integers(5, 24, earlier.sum())
    prev_start = prev_end - rng.integers(3, 30, earlier.sum())
    keep = prev_start >= FIRST_MONTH
    spells_client.append(ids[earlier][keep])
    spells_start.append(prev_start[keep])
    spells_end.append(prev_end[keep])

    # 4. Leavers: spells of the same flow model that ended by 09/2013.
    leaver_start, leaver_end = _leaver_spells(rng, n_leavers, scale)
    spells_client.append(np.arange(n_current, n_current + n_leavers))
    spells_start.append(leaver_start)
    spells_end.append(leaver_end)

    client_idx = np.concatenate(spells_client)
    start_m = np.concatenate(spells_start).astype(np.int64)
    end_m = np.concatenate(spells_end).astype(np.int64)
    n_clients = n_current + n_leavers

    clients = _clients(rng, key, munis, n_clients, client_idx, start_m)
    spells, day_after = _spell_frame(rng, clients["id"].to_numpy(), client_idx, start_m, end_m)
    barriers, barrier_count = _barriers(rng, clients["id"].to_numpy(), client_idx, start_m, end_m)
    integrations = _integrations(rng, clients, barrier_count, client_idx, start_m, end_m, day_after)
    return {
        "client": clients,
        "benefit_spell": spells,
        "barrier_assessment": barriers,
        "integration": integrations,
    }


def _entry_trend(months_before: np.ndarray) -> np.ndarray:
    """Entries per month relative to 2013: more in the early years of SGB II."""
    return 1 + ENTRY_TREND * months_before / (AS_OF - FIRST_MONTH)


def _survivor_weights(durations: np.ndarray) -> np.ndarray:
    """Expected number still in receipt in 09/2013 per month of start ``durations`` months
    before it, under the flow model (entries of both kinds times their survival)."""
    return _entry_trend(durations) * (
        ENTRY_SHORT * np.exp(-durations / TAU_SHORT) + ENTRY_LONG * np.exp(-durations / TAU_LONG)
    )


def _survivor_durations(rng: np.random.Generator, size: int, low: int, high: int) -> np.ndarray:
    """Months since the start of current receipt, ``low`` to ``high``, as the model's
    survivors are spread over them."""
    durations = np.arange(low, high + 1)
    weights = _survivor_weights(durations.astype(float))
    # systematic sampling: each month of start gets its expected share (no pile by chance)
    cdf = np.cumsum(weights) / weights.sum()
    drawn = durations[np.searchsorted(cdf, (np.arange(size) + rng.random()) / size)]
    return rng.permutation(drawn)


def _kind_durations(rng: np.random.Generator, size: int, tau: float) -> np.ndarray:
    """Months a spell covers after its first: P(at least k) = exp(-k / tau)."""
    return rng.geometric(1 - np.exp(-1 / tau), size) - 1


def _leaver_spells(rng, n_leavers: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Exactly ``n_leavers`` spells of the flow model that end before 09/2013.

    The model's entries (with the transfers of 01.01.2005) are drawn, those still in receipt
    in 09/2013 dropped (the current clients stand for them), and the rest thinned or
    resampled to the count asked for, which keeps the shape of the flows.
    """
    starts, ends = [], []
    for count, tau in ((TRANSFERS_SHORT, TAU_SHORT), (TRANSFERS_LONG, TAU_LONG)):
        n = rng.poisson(count * scale)
        starts.append(np.full(n, FIRST_MONTH))
        ends.append(FIRST_MONTH + _kind_durations(rng, n, tau))
    months = np.arange(FIRST_MONTH + 1, AS_OF + 1)
    trend = _entry_trend((AS_OF - months).astype(float))
    for rate, tau in ((ENTRY_SHORT, TAU_SHORT), (ENTRY_LONG, TAU_LONG)):
        expected = rate * trend * scale  # rounded at random: smooth, with the right mean
        entries = np.repeat(months, np.floor(expected + rng.random(months.size)).astype(int))
        starts.append(entries)
        ends.append(entries + _kind_durations(rng, entries.size, tau))
    start, end = np.concatenate(starts), np.concatenate(ends)
    ended = end < AS_OF
    start, end = start[ended], end[ended]
    if n_leavers == 0 or start.size == 0:
        return start[:0], end[:0]
    pick = (
        rng.choice(start.size, n_leavers, replace=False)
        if n_leavers <= start.size
        else np.concatenate([np.arange(start.size), rng.choice(start.size, n_leavers - start.size)])
    )
    pick.sort()
    return start[pick], end[pick]


def _clients(rng, district_key, munis, n_clients, client_idx, start_m) -> pl.DataFrame:
    # Receipt is more common in the towns: weight by population, the district town twice.
    weight = munis["population"].to_numpy() * np.where(
        munis["kind"].to_numpy() == "Stadt", 1.6, 1.0
    )
    muni = rng.choice(munis["ags"].to_numpy(), n_clients, p=weight / weight.sum())
    sex = np.where(rng.random(n_clients) < 0.49, "f", "m")
    first_start = np.full(n_clients, OPEN_END_MONTH)
    np.minimum.at(first_start, client_idx, start_m)
    age_at_start = np.clip(rng.normal(38, 12, n_clients), 15, 62).astype(int)
    birth_year = first_start // 12 - age_at_start
    single_parent = (sex == "f") & (rng.random(n_clients) < 0.16) | (rng.random(n_clients) < 0.015)
    prefix = "HDH" if district_key == HOME_DISTRICT[0] else f"D{district_key}"
    ids = np.char.add(f"{prefix}-", np.char.zfill(np.arange(1, n_clients + 1).astype(str), 7))
    household = np.where(rng.random(n_clients) < 0.12, np.roll(ids, 1), ids)  # some share one
    return pl.DataFrame(
        {
            "id": ids,
            "municipality_ags": muni,
            "sex": sex,
            "birth_year": birth_year,
            "single_parent": single_parent,
            "household_id": np.char.replace(household, "-", "-HH"),
        }
    )


def _spell_frame(rng, ids, client_idx, start_m, end_m) -> tuple[pl.DataFrame, np.ndarray]:
    """Dates for each spell such that its month indices are exactly start_m .. end_m, and the
    day (0-based) after the end of each spell within month end_m + 1.

    A spell that ends in month e covers e's last day and ends before the next month's last day:
    from e's last day to the last but one of e + 1, spread over the whole month.
    """
    start_day = rng.integers(0, 28, start_m.size)
    start_day = np.where(start_m == FIRST_MONTH, 0, start_day)  # transfers began on 01.01.2005
    open_end = end_m == OPEN_END_MONTH
    after = np.where(open_end, AS_OF, end_m) + 1
    day_after = np.floor(rng.random(end_m.size) * _days_in_month(after)).astype(np.int64)
    frame = pl.DataFrame(
        {
            "client_id": ids[client_idx],
            "start_date": _dates(start_m, start_day),
            "end_date": _blank(_dates(after, day_after - 1), open_end),
        }
    ).sort("client_id", "start_date")
    return frame, day_after


def _days_in_month(months: np.ndarray) -> np.ndarray:
    first = (np.asarray(months) - 1970 * 12).astype("datetime64[M]")
    return ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)


def _blank(values: pl.Series, where: np.ndarray) -> pl.Series:
    """``values`` with nulls where ``where`` is true."""
    return values.scatter(np.flatnonzero(where), None)


def _dates(months: np.ndarray, days: np.ndarray) -> pl.Series:
    """The first day of each month index plus a number of days (vectorised)."""
    first = (np.asarray(months) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
    return pl.Series(first + np.asarray(days).astype("timedelta64[D]"), dtype=pl.Date)


def _barriers(rng, ids, client_idx, start_m, end_m) -> tuple[pl.DataFrame, np.ndarray]:
    """Barrier assessments; the burden grows with the total duration of receipt."""
    total_months = np.zeros(ids.size)
    np.add.at(total_months, client_idx, np.minimum(end_m, AS_OF) - start_m + 1)
    first_start = np.full(ids.size, OPEN_END_MONTH)
    np.minimum.at(first_start, client_idx, start_m)
    burden = 0.45 + 1.35 * np.clip(total_months / 72, 0, 1) + rng.normal(0, 0.15, ids.size)
    probability = np.clip(BARRIER_BASE[None, :] * burden[:, None], 0, 0.9)
    has = rng.random(probability.shape) < probability
    client, barrier = np.nonzero(has)
    recorded = first_start[client] + rng.integers(0, 3, client.size)
    recorded_on = _dates(recorded, rng.integers(0, 28, client.size))
    resolved = rng.random(client.size) < 0.12
    resolved_month = recorded + rng.integers(6, 40, client.size)
    # resolved at least six months after the recording and before the as-of month, never before
    # it was recorded (the importer rightly refuses that)
    resolved &= resolved_month < AS_OF
    resolved_on = _dates(resolved_month, np.full(client.size, 9))
    frame = pl.DataFrame(
        {
            "client_id": ids[client],
            "barrier_code": np.array(BARRIER_CODES)[barrier],
            "recorded_on": recorded_on,
            "resolved_on": _blank(resolved_on, ~resolved),
        }
    ).filter(pl.col("recorded_on") <= DATA_END)
    return frame, has.sum(axis=1)


def _integrations(rng, clients, barrier_count, client_idx, start_m, end_m, day_after):
    """Integrations: at the end of a spell (dated the day after it) and while receipt goes on.

    Each month about ``K2_TARGET`` / 12 of the stock is integrated, so that the Integrationsquote
    stays near the level of its time, in every month through the last one. Who is integrated is
    drawn among the spells that end that month and, with a lower weight (``IN_RECEIPT_WEIGHT``),
    among those that go on (employment with continued benefits): the chance falls with the
    number of barriers and the duration of receipt, and is lower for women
    (``WOMEN_WEIGHT``; national K2 2013: men 29.7 %, women 19.3 %). At most one integration per
    person and month, and while receipt goes on at most one in 12 months.
    """
    ended = end_m < AS_OF
    last = np.minimum(end_m, AS_OF)
    barriers = barrier_count[client_idx]
    sex = clients["sex"].to_numpy()[client_idx]
    person = np.exp(-0.45 * barriers) * np.where(sex == "f", WOMEN_WEIGHT, 1.0)
    exit_weight = person * np.exp(-(last - start_m + 1) / 40)

    stock = np.zeros(AS_OF - FIRST_MONTH + 2)
    np.add.at(stock, start_m - FIRST_MONTH, 1)
    np.add.at(stock, last - FIRST_MONTH + 1, -1)
    stock = np.cumsum(stock)

    last_integration = np.full(start_m.size, -(10**6))
    chosen_spell, chosen_month, chosen_day = [], [], []
    exit_month = np.where(ended, end_m + 1, -1)  # the month a spell's end falls in
    for m in range(FIRST_MONTH + 1, AS_OF + 1):
        target = round(K2_TARGET / 12 * stock[m - FIRST_MONTH] * (1 + rng.normal(0, 0.03)))
        exits = np.flatnonzero((exit_month == m) & (last_integration < m))
        # while receipt goes on: at most one integration in 12 months
        going_on = np.flatnonzero((start_m <= m) & (last >= m) & (last_integration <= m - 12))
        pool = np.concatenate([exits, going_on])
        if pool.size == 0 or target <= 0:
            continue
        weight = np.concatenate(
            [
                exit_weight[exits],
                IN_RECEIPT_WEIGHT
                * person[going_on]
                * np.exp(-(m - start_m[going_on] + 1) / IN_RECEIPT_DURATION),
            ]
        )
        # weighted draw without replacement (Efraimidis-Spirakis keys)
        keys = np.log(rng.random(pool.size)) / weight
        chosen = pool[np.argsort(-keys, kind="stable")[: min(target, pool.size)]]
        last_integration[chosen] = m
        leaving = exit_month[chosen] == m
        days = np.where(
            leaving,
            day_after[chosen],
            np.floor(rng.random(chosen.size) * _days_in_month(np.full(chosen.size, m))),
        )
        chosen_spell.append(chosen)
        chosen_month.append(np.full(chosen.size, m))
        chosen_day.append(days.astype(np.int64))
    spell = np.concatenate(chosen_spell)
    month = np.concatenate(chosen_month)
    n = spell.size
    kinds = rng.choice(["employment", "training", "self_employment"], n, p=[0.8, 0.13, 0.07])
    dates = _dates(month, np.concatenate(chosen_day))
    continuity_chance = 0.72 - 0.06 * np.minimum(barriers[spell], 5)
    continued = rng.random(n) < continuity_chance
    known = month + 12 <= AS_OF  # the 12 months after it have passed
    frame = pl.DataFrame(
        {
            "client_id": clients["id"].to_numpy()[client_idx[spell]],
            "date": dates,
            "month": month,
            "kind": kinds,
            "continued_12m": _blank(pl.Series(continued), ~known),
        }
    ).sort("date", "client_id")
    return frame.unique(["client_id", "month"], keep="first", maintain_order=True)


# --- Referrals -------------------------------------------------------------------------------


def _referrals(rng, cases, network, municipalities) -> pl.DataFrame:
    """Referrals of clients with a barrier to a service of a matching category in their area.

    About 45 % of the barrier assessments lead to a referral (vectorised over all assessments;
    the random draws are taken in the order of client and barrier, so the result is fixed by the
    seed). The referral starts 10 to 199 days after the later of the start of the client's last
    spell and the recording of the barrier, and lasts 60 to 299 days; one still running after
    the end of the data is active, else completed or (one in five) cancelled.
    """
    spells = (
        cases["benefit_spell"]
        .group_by("client_id")
        .agg(pl.col("start_date").max().alias("spell_start"))
    )
    candidates = (
        cases["barrier_assessment"]
        .select("client_id", "barrier_code", "recorded_on")
        .join(cases["client"].select("id", "municipality_ags"), left_on="client_id", right_on="id")
        .join(spells, on="client_id")
        .sort("client_id", "barrier_code")
    )
    size = candidates.height
    candidates = candidates.with_columns(
        pl.Series("draw", rng.random(size)),
        pl.Series("day", rng.integers(10, 200, size)),
        pl.Series("length", rng.integers(60, 300, size)),
        pl.Series("outcome", rng.random(size)),
    ).with_row_index("order")
    start = pl.max_horizontal("spell_start", "recorded_on") + pl.duration(days=pl.col("day"))
    end = pl.col("start_date") + pl.duration(days=pl.col("length"))
    referrals = (
        candidates.filter(pl.col("draw") <= 0.45)
        .join(_referral_options(network), on=["municipality_ags", "barrier_code"])
        .sort("order")
        .with_columns(
            pl.col("options")
            .list.get(pl.col("day") % pl.col("options").list.len())
            .alias("service_id"),
            start.alias("start_date"),
        )
        .filter(pl.col("start_date") <= DATA_END)
        .with_columns(end.alias("end_date"))
        .select(
            "client_id",
            "service_id",
            "barrier_code",
            "start_date",
            pl.when(pl.col("end_date") <= DATA_END).then(pl.col("end_date")).alias("end_date"),
            pl.when(pl.col("end_date") > DATA_END)
            .then(pl.lit("active"))
            .when(pl.col("outcome") < 0.2)
            .then(pl.lit("cancelled"))
            .otherwise(pl.lit("completed"))
            .alias("status"),
        )
    )
    measures = _measure_referrals(rng, cases, network)
    return pl.concat([referrals, measures]).unique(
        ["client_id", "service_id", "start_date"], keep="first", maintain_order=True
    )


# The labour-market measures (qualification, language course, activation) of people in long
# receipt: after the first year of a spell, MEASURE_RATE participations per year on average,
# each of 90 to 269 days. So about one LZB in ten is in a measure at any time (K3E2).
MEASURE_RATE = 0.27
MEASURE_BARRIERS = ("qualification", "language", "motivation")


def _measure_referrals(rng, cases, network) -> pl.DataFrame:
    """Referrals to labour-market measures during long receipt, for the people with a barrier
    such a measure addresses (the first of ``MEASURE_BARRIERS`` they have)."""
    rank = {code: number for number, code in enumerate(MEASURE_BARRIERS)}
    barrier = (
        cases["barrier_assessment"]
        .filter(pl.col("barrier_code").is_in(MEASURE_BARRIERS))
        .with_columns(pl.col("barrier_code").replace_strict(rank, return_dtype=pl.Int32).alias("r"))
        .sort("client_id", "r")
        .group_by("client_id", maintain_order=True)
        .agg(pl.col("barrier_code").first())
    )
    eligible = (
        cases["benefit_spell"]
        .join(barrier, on="client_id")
        .join(
            cases["client"].select(pl.col("id").alias("client_id"), "municipality_ags"),
            on="client_id",
        )
        .with_columns(
            (pl.col("start_date") + pl.duration(days=365)).alias("from"),
            pl.min_horizontal(pl.col("end_date").fill_null(DATA_END), pl.lit(DATA_END)).alias("to"),
        )
        .filter(pl.col("to") > pl.col("from"))
        .sort("client_id", "start_date")
    )
    days = (eligible["to"] - eligible["from"]).dt.total_days().to_numpy()
    count = rng.poisson(MEASURE_RATE * days / 365)
    rows = np.repeat(np.arange(eligible.height), count)
    offset = np.floor(rng.random(rows.size) * days[rows]).astype(np.int64)
    length = rng.integers(90, 270, rows.size)
    cancelled = rng.random(rows.size) < 0.2
    options = (
        network["service"]
        .filter(pl.col("labour_market_measure"))
        .select(pl.col("id").alias("service_id"), "category_code")
        .join(network["service_area"], on="service_id")
        .join(
            pl.DataFrame(
                [
                    {"barrier_code": b, "category_code": c.code}
                    for c in SERVICE_CATEGORIES
                    for b in c.barriers
                    if b in MEASURE_BARRIERS
                ]
            ),
            on="category_code",
        )
        .sort("municipality_ags", "barrier_code", "service_id")
        .group_by("municipality_ags", "barrier_code", maintain_order=True)
        .agg(pl.col("service_id").alias("options"))
    )
    start = pl.col("from") + pl.duration(days=pl.col("offset"))
    end = start + pl.duration(days=pl.col("length"))
    return (
        eligible.select("client_id", "barrier_code", "municipality_ags", "from")[rows]
        .with_columns(
            pl.Series("offset", offset),
            pl.Series("length", length),
            pl.Series("cancelled", cancelled),
        )
        .join(options, on=["municipality_ags", "barrier_code"], maintain_order="left")
        .with_columns(
            pl.col("options")
            .list.get(pl.col("length") % pl.col("options").list.len())
            .alias("service_id"),
            start.alias("start_date"),
            end.alias("end"),
        )
        .select(
            "client_id",
            "service_id",
            "barrier_code",
            "start_date",
            pl.when(pl.col("end") <= DATA_END).then(pl.col("end")).alias("end_date"),
            pl.when(pl.col("end") > DATA_END)
            .then(pl.lit("active"))
            .when(pl.col("cancelled"))
            .then(pl.lit("cancelled"))
            .otherwise(pl.lit("completed"))
            .alias("status"),
        )
    )


def _referral_options(network: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per municipality and barrier: the services a client there can be referred to.

    The options are ordered by the catalogue's order of the categories addressing the barrier,
    then by service id (a small table: municipalities x barriers).
    """
    category_rank = {c.code: rank for rank, c in enumerate(SERVICE_CATEGORIES)}
    matching = pl.DataFrame(
        [
            {"barrier_code": barrier, "category_code": c.code}
            for barrier in BARRIER_CODES
            for c in SERVICE_CATEGORIES
            if barrier in c.barriers
        ],
        schema={"barrier_code": pl.String, "category_code": pl.String},
    )
    return (
        network["service"]
        .select("id", "category_code")
        .join(network["service_area"], left_on="id", right_on="service_id")
        .join(matching, on="category_code")
        .with_columns(
            pl.col("category_code")
            .replace_strict(category_rank, return_dtype=pl.Int32)
            .alias("rank")
        )
        .sort("municipality_ags", "barrier_code", "rank", "id")
        .group_by("municipality_ags", "barrier_code", maintain_order=True)
        .agg(pl.col("id").alias("options"))
    )


class RealDataPresent(Exception):
    """The target database holds data that are not synthetic; the demo would overwrite them."""


def load_demo(engine, spec: DemoSpec = DemoSpec(), *, force: bool = False) -> dict[str, int]:
    """Replace the database's contents with the demo data set (one transaction)."""
    if holds_real_data(engine) and not force:
        raise RealDataPresent(
            f"Die Datenbank {engine.url.render_as_string(hide_password=True)} enthält echte "
            "(nicht synthetische) Daten. Die Demodaten würden sie ersetzen; dafür --force angeben."
        )
    return replace_dataset(engine=engine, tables=generate(spec))
