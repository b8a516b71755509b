"""Network figures on hand-made data and geometry, values known by hand.

Three persons in receipt since 01/2008 with barriers recorded on 05.01.2012: D debts, H debts
and health, N none. Debt counselling (provider P1) and health support (P2); referrals: H to debt
counselling in 06/2012 (integrated 03/2013), D to debt counselling in 05/2013, N to health
support in 07/2013.
"""

import datetime as dt

import geopandas as gpd
import polars as pl
import pytest
from shapely.geometry import Point, box

from teilhabe import network
from teilhabe.cases import read_cases
from teilhabe.definitions import BARRIERS, SERVICE_CATEGORIES
from teilhabe.directory import (
    active_services,
    category_barriers,
    events_with_providers,
    provider_directory,
)
from teilhabe.protection import DEMO_SECRET, Protection, deviation
from teilhabe.selection import Filters

D = dt.date
SEPT_2013 = 2013 * 12 + 8
EXACT = Protection(exact=True)  # exact definitions: no perturbation, every rate shown
PUBLISHED = Protection()  # the cell-key method as the app publishes


@pytest.fixture
def engine(build_db):
    people = ["D", "H", "N"]
    categories = [c for c in SERVICE_CATEGORIES if c.code in ("debt_counselling", "health_support")]
    return build_db(
        [(p, D(2008, 1, 1), None) for p in people],
        barrier=pl.DataFrame(
            {
                "code": [b.code for b in BARRIERS],
                "label": [b.label for b in BARRIERS],
                "description": [b.description for b in BARRIERS],
                "key_factor": [b.key_factor for b in BARRIERS],
            }
        ),
        service_category=pl.DataFrame(
            {"code": [c.code for c in categories], "label": [c.label for c in categories]}
        ),
        service_category_barrier=pl.DataFrame(
            {
                "category_code": [c.code for c in categories for _ in c.barriers],
                "barrier_code": [b for c in categories for b in c.barriers],
            }
        ),
        provider=pl.DataFrame(
            {
                "id": ["P1", "P2"],
                "name": ["Schuldnerberatung Test", "Gesundheitstreff Test"],
                "kind": ["counselling", "welfare"],
                "municipality_ags": ["08135019"] * 2,
                "lat": [48.68, 48.70],
                "lon": [10.15, 10.16],
            }
        ),
        service=pl.DataFrame(
            {
                "id": ["S1", "S2"],
                "provider_id": ["P1", "P2"],
                "name": ["Schuldnerberatung", "Gesundheitsförderung"],
                "category_code": ["debt_counselling", "health_support"],
                "labour_market_measure": [False, False],
                "active_from": [D(2005, 1, 1), D(2005, 1, 1)],
                "active_to": [None, D(2013, 6, 30)],  # health support ended before 09/2013
            },
            schema_overrides={"active_to": pl.Date},
        ),
        service_area=pl.DataFrame({"service_id": ["S1"], "municipality_ags": ["08135019"]}),
        barrier_assessment=pl.DataFrame(
            {
                "client_id": ["D", "H", "H"],
                "barrier_code": ["debts", "debts", "health"],
                "recorded_on": [D(2012, 1, 5)] * 3,
                "resolved_on": [None] * 3,
            },
            schema_overrides={"resolved_on": pl.Date},
        ),
        referral=pl.DataFrame(
            {
                "client_id": ["H", "D", "N"],
                "service_id": ["S1", "S1", "S2"],
                "barrier_code": ["debts", "debts", None],
                "start_date": [D(2012, 6, 1), D(2013, 5, 1), D(2013, 7, 1)],
                "end_date": [None] * 3,
                "status": ["completed", "active", "active"],
            },
            schema_overrides={"end_date": pl.Date, "barrier_code": pl.String},
        ),
        integration=pl.DataFrame(
            {
                "client_id": ["H"],
                "date": [D(2013, 3, 10)],
                "kind": ["employment"],
                "continued_12m": [None],
            },
            schema_overrides={"continued_12m": pl.Boolean},
        ),
    )


@pytest.fixture
def cases(engine):
    return read_cases(engine=engine, secret=DEMO_SECRET)


def published(keys: list[int]) -> int:
    """The published count of the records with these keys (the perturbation table's deviation
    for their number and key sum, nothing else)."""
    return len(keys) + deviation(len(keys), sum(keys))


def person_keys(cases, *people: str) -> list[int]:
    return cases.clients.filter(pl.col("client_id").is_in(people))["key"].to_list()


def referral_keys(cases, *people: str) -> list[int]:
    """The record keys of the referrals of these persons (each has one here)."""
    clients = cases.clients.filter(pl.col("client_id").is_in(people))["client"].to_list()
    return cases.referral_rows.filter(pl.col("client").is_in(clients))["referral_key"].to_list()


def test_directory_lists_each_service_with_what_it_addresses(engine) -> None:
    directory = provider_directory(engine=engine)
    rows = {r["service_id"]: r for r in directory.iter_rows(named=True)}
    assert rows["S1"]["barriers"] == ["debts"] and rows["S1"]["areas"] == ["08135019"]
    assert rows["S2"]["barriers"] == ["health"] and rows["S2"]["areas"] == []
    assert active_services(directory, SEPT_2013)["service_id"].to_list() == ["S1"]
    assert category_barriers(directory) == {
        "debt_counselling": ["debts"],
        "health_support": ["health"],
    }


def test_reach_and_outcome_per_provider(cases) -> None:
    table = {
        r["provider_id"]: r
        for r in network.reach(cases, Filters(), SEPT_2013, EXACT).iter_rows(named=True)
    }
    # P1: D in the last 12 months; H's referral (06/2012) has a known outcome: integrated
    assert table["P1"] == {
        "provider_id": "P1",
        "clients": 1,
        "referrals": 1,
        "outcome_known": 1,
        "integrated": 1,
        "outcome_rate": 100.0,
    }
    assert (table["P2"]["clients"], table["P2"]["outcome_rate"]) == (1, None)  # N; none known
    shown = network.reach(cases, Filters(), SEPT_2013, PUBLISHED)
    # one person each (D, N): published by their own keys, so 0 or 3, never 1
    assert shown.select("provider_id", "clients").rows() == [
        ("P1", published(person_keys(cases, "D"))),
        ("P2", published(person_keys(cases, "N"))),
    ]
    assert shown.filter(pl.col("provider_id") == "P1").row(0, named=True) == {
        "provider_id": "P1",
        "clients": published(person_keys(cases, "D")),
        "referrals": published(referral_keys(cases, "D")),
        "outcome_known": published(referral_keys(cases, "H")),
        "integrated": published(referral_keys(cases, "H")),  # the same referral
        "outcome_rate": None,  # published base below 10
    }
    assert all(
        n not in (1, 2) for n in shown.select(pl.exclude("provider_id", "outcome_rate")).row(0)
    )


def test_reach_of_a_barrier_group_takes_the_barrier_at_the_referral(cases) -> None:
    debts = network.reach(cases, Filters(barriers=("debts",)), SEPT_2013, EXACT)
    assert debts["provider_id"].to_list() == ["P1"]  # N (no debts) is not in the group


def test_barrier_coverage(cases, engine) -> None:
    addresses = category_barriers(provider_directory(engine=engine))
    table = {
        r["barrier_code"]: (r["affected"], r["covered"], r["coverage_rate"])
        for r in network.barrier_coverage(cases, Filters(), SEPT_2013, EXACT, addresses).iter_rows(
            named=True
        )
    }
    # debts: D and H; only D's referral (05/2013) lies in the 12 months. health: H, not referred
    assert table["debts"] == (2, 1, 50.0)
    assert table["health"] == (1, 0, 0.0)
    assert table["housing"] == (0, 0, None)
    small = network.barrier_coverage(cases, Filters(), SEPT_2013, PUBLISHED, addresses)
    assert small.filter(pl.col("barrier_code") == "debts").row(0)[1:] == (
        published(person_keys(cases, "D", "H")),  # affected: 2, never published as 2
        published(person_keys(cases, "D")),  # covered: a person, with the person's key
        None,  # a coverage rate only from a published base of 10
    )
    assert small.filter(pl.col("barrier_code") == "housing").row(0)[1:] == (0, 0, None)
    assert all(n not in (1, 2) for n in small["affected"].to_list() + small["covered"].to_list())
    # the counts behind it: exact, with the key sums that publishing needs
    counts = network.barrier_coverage_counts(cases, Filters(), SEPT_2013, addresses)
    debts = counts.filter(pl.col("barrier_code") == "debts").row(0, named=True)
    assert (debts["affected"], debts["covered"]) == (2, 1)
    assert debts["affected__key"] % 2**32 == sum(person_keys(cases, "D", "H")) % 2**32
    assert debts["covered__key"] % 2**32 == sum(person_keys(cases, "D")) % 2**32


def test_flows_leave_out_links_published_as_zero(cases, engine) -> None:
    addresses = category_barriers(provider_directory(engine=engine))
    links = network.flows(cases, Filters(), SEPT_2013, EXACT, addresses)
    assert links.rows() == [
        ("barrier:debts", "category:debt_counselling", 1),
        ("category:debt_counselling", "outcome:integrated", 1),
    ]
    # both links are H's one referral: published with its key as 0 (left out) or 3
    one = published(referral_keys(cases, "H"))
    assert one in (0, 3)
    shown = network.flows(cases, Filters(), SEPT_2013, PUBLISHED, addresses)
    if one == 0:
        assert shown.is_empty()
    else:
        assert shown.rows() == [(source, target, one) for source, target, _ in links.rows()]


def metric(geometries) -> gpd.GeoDataFrame:
    """Geometries given in EPSG:25832 metres, handed over in WGS84 as the app does."""
    return gpd.GeoDataFrame(geometry=geometries, crs="EPSG:25832").to_crs("EPSG:4326")


def test_distances_are_measured_in_a_metric_crs() -> None:
    areas = metric([box(570000, 5390000, 571000, 5391000), Point(580000, 5390500)])
    points = metric([Point(574000, 5390500)])  # 3 km east of the square, 6 km west of the point
    distances = network.nearest_distance_km(areas, points)
    assert distances == [pytest.approx(3.0, abs=0.01), pytest.approx(6.0, abs=0.01)]
    inside = metric([Point(570500, 5390500)])
    assert network.nearest_distance_km(areas.iloc[:1], inside) == [0.0]
    assert network.nearest_distance_km(areas, metric([]).iloc[:0]) == [None, None]


def test_coverage_gaps() -> None:
    centres = metric([Point(570000, 5390000), Point(590000, 5390000), Point(610000, 5390000)])
    centres["ags"] = ["A", "B", "C"]
    service = metric([Point(575000, 5390000)])  # 5 km from A, 15 km from B, 35 km from C
    directory = pl.DataFrame(
        {
            "lat": [service.geometry.iloc[0].y],
            "lon": [service.geometry.iloc[0].x],
            "barriers": [["debts"]],
            "active_from": [D(2005, 1, 1)],
            "active_to": [None],
        },
        schema_overrides={"active_to": pl.Date},
    )
    # published affected counts (never 1 or 2)
    affected = pl.DataFrame(
        {"municipality": ["A", "B", "C"], "barrier_code": ["debts"] * 3, "affected": [10, 3, 0]}
    )
    gaps = network.coverage_gaps(
        centres,
        directory,
        affected,
        as_of=SEPT_2013,
        distance_km=10,
        barriers=["debts", "housing"],
    )
    table = {
        (r[0], r[1]): (round(r[2], 1) if r[2] is not None else None, r[3], r[4])
        for r in gaps.rows()
    }
    assert table["A", "debts"] == (5.0, 10, False)
    assert table["B", "debts"] == (15.0, 3, True)  # 3 affected, no service within 10 km: a gap
    assert table["C", "debts"] == (35.0, 0, False)  # nobody affected: no gap
    assert table["A", "housing"] == (None, 0, False)  # no housing service at all, nobody affected


def test_events_with_the_providers_taking_part(demo_engine) -> None:
    events = events_with_providers(engine=demo_engine)
    assert events["date"].to_list() == [D(2012, 10, 16), D(2013, 9, 24)]
    assert [len(p) for p in events["providers"]] == [14, 20]
    assert events_with_providers(engine=demo_engine, until=2013 * 12 + 7).height == 1


def test_series_repeat_the_figures_for_each_year(cases, engine) -> None:
    addresses = category_barriers(provider_directory(engine=engine))
    series = network.reach_series(cases, Filters(), SEPT_2013, 2, EXACT, by="provider_id")
    assert sorted(set(series["window_end"])) == [SEPT_2013 - 12, SEPT_2013]
    latest = series.filter(pl.col("window_end") == SEPT_2013).drop("window_end")
    assert latest.equals(network.reach(cases, Filters(), SEPT_2013, EXACT))
    # a year earlier: H's referral (06/2012) was recent, none had a known outcome
    earlier = series.filter(pl.col("window_end") == SEPT_2013 - 12)
    assert earlier.select("provider_id", "clients", "outcome_known").rows() == [("P1", 1, 0)]
    coverage = network.coverage_series(cases, Filters(), SEPT_2013, 2, EXACT, addresses)
    debts = coverage.filter(pl.col("barrier_code") == "debts").sort("month")
    assert debts.select("affected", "covered").rows() == [(2, 1), (2, 1)]  # H then, D now
