"""One selection for cube cells, referral rows and persons (teilhabe.selection), on hand-made data.

Eight persons in two municipalities (A: 08135019, B: 08135020) of Jobcenter 08135 (Land 08), and
two more in other Jobcenters: M in C = 09162000 (Land 09), N in E = 08136088 (Jobcenter 08136,
Land 08); both sexes, born 1950 .. 1995,
in receipt from 01/2010 (G from 07/2012, H until 12/2012); barriers recorded on different days
(so that the group changes between months), and each person referred once in 05/2013 or 06/2013
(while in receipt). For any filter and month, the persons selected, the ELB of the cube's cells
and the persons of the referral rows must agree.
"""

import datetime as dt
import io
from dataclasses import replace
from unittest.mock import patch

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from teilhabe import selection
from teilhabe.cases import read_cases
from teilhabe.definitions import AGE_GROUPS, BARRIER_CODES, BARRIERS, SERVICE_CATEGORIES
from teilhabe.indicators import monthly_base
from teilhabe.protection import DEMO_SECRET, key_column
from teilhabe.selection import Filters

D = dt.date
A, B = "08135019", "08135020"
C, E = "09162000", "08136088"  # another Land; another Jobcenter of the same Land
PEOPLE = {  # client: (municipality, sex, birth year, spell start, spell end)
    "C1": (A, "f", 1995, D(2010, 1, 1), None),
    "C2": (A, "m", 1985, D(2010, 1, 1), None),
    "C3": (A, "f", 1975, D(2010, 1, 1), None),
    "C4": (B, "m", 1965, D(2010, 1, 1), None),
    "C5": (B, "f", 1950, D(2010, 1, 1), None),
    "C6": (B, "d", 1990, D(2010, 1, 1), None),
    "G": (A, "m", 1988, D(2012, 7, 1), None),
    "H": (B, "f", 1970, D(2010, 1, 1), D(2012, 12, 31)),
    "M": (C, "m", 1980, D(2010, 1, 1), None),
    "N": (E, "f", 1992, D(2011, 1, 1), None),
}
BARRIER_RECORDS = [  # client, barrier, recorded, resolved
    ("C1", "debts", D(2012, 1, 5), None),
    ("C1", "health", D(2013, 5, 20), None),
    ("C2", "debts", D(2012, 1, 5), D(2013, 5, 10)),
    ("C3", "language", D(2011, 3, 1), None),
    ("C3", "debts", D(2013, 6, 2), None),
    ("C4", "health", D(2011, 3, 1), None),
    ("C4", "mobility", D(2011, 3, 1), None),
    ("C5", "debts", D(2012, 1, 5), None),
    ("C5", "health", D(2012, 1, 5), None),
    ("G", "debts", D(2012, 8, 1), None),
    ("H", "debts", D(2011, 1, 1), None),
    ("N", "language", D(2011, 3, 1), None),
]
REFERRED = {"C1": D(2013, 5, 3), "C2": D(2013, 6, 3), "C3": D(2013, 5, 3), "C4": D(2013, 6, 3),
            "C5": D(2013, 5, 3), "C6": D(2013, 6, 3), "G": D(2013, 5, 3),
            "M": D(2013, 5, 3), "N": D(2013, 6, 3)}  # fmt: skip
MONTHS = [2012 * 12 + 11, 2013 * 12 + 4, 2013 * 12 + 5]  # 12/2012, 05/2013, 06/2013


@pytest.fixture(scope="module")
def cases(selection_db):
    from sqlalchemy.engine import make_url

    from data_access.db import create_db_engine

    return read_cases(engine=create_db_engine(make_url(selection_db)), secret=DEMO_SECRET)


@pytest.fixture(scope="module")
def selection_db(tmp_path_factory) -> str:
    """The hand-made data in a SQLite file; its URL."""
    from sqlalchemy.engine import make_url

    from data_access.db import create_db_engine, ensure_schema
    from data_access.store import replace_dataset

    path = tmp_path_factory.mktemp("selection") / "selection.sqlite"
    engine = create_db_engine(make_url(f"sqlite:///{path}"))
    ensure_schema(engine, allow_upgrade=True)
    names = sorted(PEOPLE)
    category = next(c for c in SERVICE_CATEGORIES if c.code == "debt_counselling")
    replace_dataset(
        engine=engine,
        tables={
            "district": pl.DataFrame(
                {
                    "key": ["08135", "08136", "09162"],
                    "name": ["Testkreis", "Zweitkreis", "Stadt München"],
                    "jobcenter_name": ["Jobcenter Test", "Jobcenter Zwei", "Jobcenter München"],
                }
            ),
            "municipality": pl.DataFrame(
                {
                    "ags": [A, B, C, E],
                    "district_key": ["08135", "08135", "09162", "08136"],
                    "name": ["Teststadt", "Testdorf", "München", "Zweitort"],
                    "kind": ["Stadt", "Gemeinde", "Stadt", "Gemeinde"],
                    "population": [50000, 5000, 1500000, 3000],
                    "population_date": [D(2023, 3, 31)] * 4,
                    "lat": [48.68, 48.70, 48.14, 48.80],
                    "lon": [10.15, 10.20, 11.58, 9.80],
                }
            ),
            "client": pl.DataFrame(
                {
                    "id": names,
                    "municipality_ags": [PEOPLE[n][0] for n in names],
                    "sex": [PEOPLE[n][1] for n in names],
                    "birth_year": [PEOPLE[n][2] for n in names],
                    "single_parent": [False] * len(names),
                    "household_id": names,
                }
            ),
            "benefit_spell": pl.DataFrame(
                [(n, PEOPLE[n][3], PEOPLE[n][4]) for n in names],
                schema={"client_id": pl.String, "start_date": pl.Date, "end_date": pl.Date},
                orient="row",
            ),
            "barrier": pl.DataFrame(
                {
                    "code": [b.code for b in BARRIERS],
                    "label": [b.label for b in BARRIERS],
                    "description": [b.description for b in BARRIERS],
                    "key_factor": [b.key_factor for b in BARRIERS],
                }
            ),
            "barrier_assessment": pl.DataFrame(
                BARRIER_RECORDS,
                schema={
                    "client_id": pl.String,
                    "barrier_code": pl.String,
                    "recorded_on": pl.Date,
                    "resolved_on": pl.Date,
                },
                orient="row",
            ),
            "service_category": pl.DataFrame({"code": [category.code], "label": [category.label]}),
            "service_category_barrier": pl.DataFrame(
                {"category_code": [category.code], "barrier_code": list(category.barriers)}
            ),
            "provider": pl.DataFrame(
                {"id": ["P1"], "name": ["Träger"], "kind": ["counselling"], "municipality_ags": [A]}
            ),
            "service": pl.DataFrame(
                {
                    "id": ["S1"],
                    "provider_id": ["P1"],
                    "name": ["Schuldnerberatung"],
                    "category_code": [category.code],
                    "labour_market_measure": [False],
                    "active_from": [D(2005, 1, 1)],
                }
            ),
            "referral": pl.DataFrame(
                {
                    "client_id": list(REFERRED),
                    "service_id": ["S1"] * len(REFERRED),
                    "barrier_code": [None] * len(REFERRED),
                    "start_date": list(REFERRED.values()),
                    "end_date": [None] * len(REFERRED),
                    "status": ["active"] * len(REFERRED),
                },
                schema_overrides={"end_date": pl.Date, "barrier_code": pl.String},
            ),
            "dataset_info": pl.DataFrame(
                {"key": ["synthetic", "as_of"], "value": ["true", "2013-09"]}
            ),
        },
    )
    return f"sqlite:///{path}"


def names(cases, clients) -> set[str]:
    return set(cases.clients.filter(pl.col("client").is_in(list(clients)))["client_id"])


def test_persons_are_taken_with_their_characteristics_in_the_month(cases) -> None:
    may, june = 2013 * 12 + 4, 2013 * 12 + 5
    debts = Filters(barriers=("debts",))
    # C2's debts were resolved on 10.05.2013 (not at the end of May); C3's recorded in June
    assert names(cases, selection.persons(cases, debts, may)["client"]) == {"C1", "C5", "G"}
    assert names(cases, selection.persons(cases, debts, june)["client"]) == {"C1", "C3", "C5", "G"}
    both = Filters(barriers=("debts", "health"), barrier_mode="all")
    assert names(cases, selection.persons(cases, both, may)["client"]) == {"C1", "C5"}
    young_in_b = Filters(municipalities=(B,), age_groups=("u25", "25_34"))
    assert names(cases, selection.persons(cases, young_in_b, may)["client"]) == {"C6"}
    assert selection.persons(cases, Filters(barriers=("unknown",)), may).is_empty()


def test_directory_rows_find_by_text_category_barrier_and_place() -> None:
    directory = pl.DataFrame(
        {
            "provider": ["Caritas", "Diakonie", "VHS"],
            "service": ["Schuldnerberatung", "Suchtberatung", "Deutschkurs"],
            "category": ["Schuldnerberatung", "Suchtberatung", "Sprachkurs"],
            "city": ["Heidenheim", None, "Giengen"],
            "category_code": ["debt_counselling", "addiction_counselling", "language_course"],
            "barriers": [["debts"], ["addiction"], ["language"]],
            "areas": [[A], [], [B]],
            "municipality_ags": [A, B, A],
        }
    )

    def found(**search) -> list[str]:
        return selection.directory_rows(directory, **search)["provider"].to_list()

    assert found() == ["Caritas", "Diakonie", "VHS"]
    assert found(text="  BERATUNG ") == ["Caritas", "Diakonie"]
    assert found(text="giengen") == ["VHS"]
    assert found(categories=["language_course", "addiction_counselling"]) == ["Diakonie", "VHS"]
    assert found(barriers=["debts", "language"]) == ["Caritas", "VHS"]
    # served (areas) or located (municipality_ags) in B
    assert found(places=[B]) == ["Diakonie", "VHS"]
    assert found(text="beratung", places=[A]) == ["Caritas"]


filters_strategy = st.builds(
    Filters,
    municipalities=st.lists(st.sampled_from([A, B, C, "08135999"]), unique=True, max_size=2).map(
        tuple
    ),
    lands=st.lists(st.sampled_from(["08", "09", "99"]), unique=True, max_size=2).map(tuple),
    jobcenters=st.lists(
        st.sampled_from(["08135", "08136", "09162", "99999"]), unique=True, max_size=2
    ).map(tuple),
    sexes=st.lists(st.sampled_from(["f", "m", "d"]), unique=True, max_size=2).map(tuple),
    age_groups=st.lists(st.sampled_from(list(AGE_GROUPS)), unique=True, max_size=3).map(tuple),
    barriers=st.lists(
        st.sampled_from(["debts", "health", "language", "mobility", "unknown"]),
        unique=True,
        max_size=2,
    ).map(tuple),
    barrier_mode=st.sampled_from(["any", "all"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(filters=filters_strategy, month=st.sampled_from(MONTHS))
def test_cells_referral_rows_and_persons_select_the_same_people(cases, filters, month) -> None:
    persons = selection.persons(cases, filters, month)
    chosen = set(persons["client"])
    # the cube's cells: ELB of the group (plain cells, barrier groups, and with the mask)
    assert monthly_base(cases, filters, month, month)["elb"].to_list() == [len(chosen)]
    with_mask = selection.cube_rows(
        cases.stock_cells, cases.stock_plain, filters, month, month, keep_mask=True
    )
    assert with_mask["elb"].sum() == len(chosen)
    # the referral rows: exactly the referrals of the month by the persons selected
    everybody = selection.referral_rows(cases, Filters(), month, month)
    referred = set(selection.referral_rows(cases, filters, month, month)["client"])
    assert referred == chosen & set(everybody["client"])
    # the person frame carries the same characteristics as the cells it is counted in
    assert set(persons["barrier_mask"].to_list()) <= set(with_mask["barrier_mask"].to_list())
    # the area: exactly the persons of the other filters whose municipality lies in it
    anywhere = replace(filters, lands=(), jobcenters=(), municipalities=())
    everywhere = selection.persons(cases, anywhere, month)
    assert chosen == {
        client
        for client, place in zip(everywhere["client"], everywhere["municipality"], strict=True)
        if selection.in_area(filters, place)
    }


DIRECTORY = pl.DataFrame(
    {
        "provider": ["Caritas", "Diakonie", "VHS", "Tafel", "Online"],
        "service": ["Schuldnerberatung", "Suchtberatung", "Deutschkurs", "Essen", "Chat"],
        "category": ["Schuldnerberatung", "Suchtberatung", "Sprachkurs", "Hilfe", "Hilfe"],
        "city": ["Heidenheim", "München", None, "Zweitort", None],
        "category_code": ["debt_counselling"] * 5,
        "barriers": [["debts"]] * 5,
        "areas": [[], [E], [A, C], [], []],
        "municipality_ags": [A, C, None, E, None],
    }
)


@settings(max_examples=60, deadline=None)
@given(filters=filters_strategy)
def test_the_directory_is_found_by_the_same_area(filters) -> None:
    found = selection.directory_rows(DIRECTORY, within=filters)["provider"].to_list()
    assert found == [
        row["provider"]
        for row in DIRECTORY.iter_rows(named=True)
        if not filters.has_area
        or any(
            selection.in_area(filters, place)
            for place in [*row["areas"], row["municipality_ags"]]
            if place is not None
        )
    ]


def test_the_directory_within_a_jobcenter_or_land() -> None:
    def found(**area) -> list[str]:
        return selection.directory_rows(DIRECTORY, within=Filters(**area))["provider"].to_list()

    assert found() == ["Caritas", "Diakonie", "VHS", "Tafel", "Online"]
    assert found(jobcenters=("08136",)) == ["Diakonie", "Tafel"]  # serves E; located in E
    assert found(lands=("09",)) == ["Diakonie", "VHS"]
    assert found(lands=("08",), jobcenters=("09162",)) == []


MAY = 2013 * 12 + 4


def test_a_land_or_jobcenter_selects_its_municipalities(cases) -> None:
    def chosen(**area) -> set[str]:
        return names(cases, selection.persons(cases, Filters(**area), MAY)["client"])

    in_jobcenter_test = {"C1", "C2", "C3", "C4", "C5", "C6", "G"}  # H left in 2012
    assert chosen(lands=("08",)) == in_jobcenter_test | {"N"}
    assert chosen(lands=("09",)) == {"M"}
    assert chosen(jobcenters=("08135",)) == in_jobcenter_test
    assert chosen(jobcenters=("08136", "09162")) == {"M", "N"}
    assert chosen(lands=("09",), jobcenters=("08135",)) == set()
    assert chosen(jobcenters=("08135",), municipalities=(B,)) == {"C4", "C5", "C6"}
    # the referrals of May: by the same persons
    referred = selection.referral_rows(cases, Filters(lands=("09",)), MAY, MAY)
    assert names(cases, referred["client"]) == {"M"}


def test_breakdowns_by_jobcenter_and_land_add_up_to_the_total(cases) -> None:
    def elb(by) -> dict[str, int]:
        base = monthly_base(cases, Filters(), MAY, MAY, by)
        return dict(zip(base[by], base["elb"], strict=True))

    assert elb("jobcenter") == {"08135": 7, "08136": 1, "09162": 1}
    assert elb("land") == {"08": 8, "09": 1}
    assert monthly_base(cases, Filters(), MAY, MAY)["elb"].to_list() == [9]
    # within a Land, by Jobcenter: only its Jobcenters; with a barrier group (the mask cube)
    base = monthly_base(
        cases, Filters(lands=("08",), barriers=("language",)), MAY, MAY, "jobcenter"
    )
    assert dict(zip(base["jobcenter"], base["elb"], strict=True)) == {"08135": 1, "08136": 1}


JOBCENTERS = {"08135": "Jobcenter Test", "08136": "Jobcenter Zwei", "09162": "Jobcenter München"}


def test_the_chosen_unit_and_the_filters_in_words() -> None:
    unit = selection.describe_unit
    assert unit(Filters(), JOBCENTERS) == "3 Jobcenter in 2 Ländern"
    assert unit(Filters(lands=("08",)), JOBCENTERS) == "2 Jobcenter in Baden-Württemberg"
    assert unit(Filters(lands=("09",)), JOBCENTERS) == "Jobcenter München"
    assert unit(Filters(jobcenters=("08136",)), JOBCENTERS) == "Jobcenter Zwei"
    assert unit(Filters(municipalities=(A, B)), JOBCENTERS) == "Jobcenter Test"
    assert unit(Filters(lands=("10",)), {"10041": "JC Saarbrücken", "10042": "JC"}) == (
        "2 Jobcenter im Saarland"
    )
    assert unit(Filters(lands=("09",), jobcenters=("08135",)), JOBCENTERS) == "kein Jobcenter"
    words = selection.describe_filters(
        Filters(lands=("08", "99"), jobcenters=("08136",), sexes=("f",)), {}, JOBCENTERS
    )
    assert (
        words == "Land: Baden-Württemberg, Land 99; Jobcenter: Jobcenter Zwei; Geschlecht: weiblich"
    )


def test_every_barrier_of_the_catalogue_has_its_own_bit() -> None:
    from teilhabe.definitions import BARRIER_BITS

    assert sorted(BARRIER_BITS.values()) == [1 << i for i in range(len(BARRIER_CODES))]


def test_the_command_line_chooses_a_jobcenter_or_land(selection_db, capsys) -> None:
    import json

    from teilhabe.cli.main import main

    def figures(*args: str) -> dict:
        code = main(["figures", "--json", "--exact", "--as-of", "2013-05", *args,
                     "--database-url", selection_db])  # fmt: skip
        out, err = capsys.readouterr()
        assert code == 0, err
        return json.loads(out)

    assert figures()["elb"] == 9
    assert figures("--jobcenter", "08135")["elb"] == 7
    assert figures("--jobcenter", "08136", "--jobcenter", "09162")["elb"] == 2
    chosen = figures("--land", "08")
    assert (chosen["elb"], chosen["filters"]["lands"]) == (8, ["08"])
    # the network of the chosen unit: its municipalities and the providers located there
    assert (chosen["municipalities"], chosen["providers"]) == (3, 1)
    munich = figures("--land", "09")
    assert (munich["municipalities"], munich["providers"]) == (1, 0)
    assert figures("--jobcenter", "08135", "--municipality", B)["elb"] == 3
    by_jobcenter = figures("--by", "jobcenter")
    assert [(row["jobcenter"], row["elb"]) for row in by_jobcenter["rows"]] == [
        ("08135", 7), ("08136", 1), ("09162", 1)
    ]  # fmt: skip
    assert by_jobcenter["total"]["elb"] == 9
    by_land = figures("--by", "land", "--land", "08")
    assert [(row["land"], row["elb"]) for row in by_land["rows"]] == [("08", 8)]
    # each area with its name after its key
    assert list(by_land["rows"][0])[:2] == ["land", "name"]
    assert by_land["rows"][0]["name"] == "Baden-Württemberg"
    assert [row["name"] for row in by_jobcenter["rows"]] == [
        JOBCENTERS[row["jobcenter"]] for row in by_jobcenter["rows"]
    ]
    # a key that is no Jobcenter of the data: exit 2, named
    code = main(["figures", "--jobcenter", "=HYPERLINK()", "--database-url", selection_db])
    assert code == 2
    assert "Unbekannte(s) Jobcenter (--jobcenter): '=HYPERLINK()'" in capsys.readouterr().err


def test_the_places_at_the_chosen_level() -> None:
    levels = selection.place_levels
    assert levels(Filters(), JOBCENTERS) == ["land", "jobcenter"]
    assert levels(Filters(lands=("08",)), JOBCENTERS) == ["jobcenter"]
    assert levels(Filters(lands=("09",)), JOBCENTERS) == ["municipality"]
    assert levels(Filters(jobcenters=("08135", "09162")), JOBCENTERS) == [
        "land", "jobcenter", "municipality"
    ]  # fmt: skip
    assert levels(Filters(), {"08135": "Jobcenter Test"}) == ["municipality"]
    assert selection.place_level(Filters(), JOBCENTERS) == "jobcenter"
    many = {f"08{n:03d}": f"JC {n}" for n in range(60)} | {"09162": "Jobcenter München"}
    assert selection.place_level(Filters(), many) == "land"


def test_the_report_names_the_chosen_unit_and_its_places(selection_db, cases) -> None:
    from pypdf import PdfReader
    from sqlalchemy.engine import make_url

    from data_access.db import create_db_engine
    from teilhabe.protection import Protection
    from teilhabe.reporting.pdf import build_report

    engine = create_db_engine(make_url(selection_db))

    def text(filters: Filters) -> str:
        data = build_report(
            engine, cases, as_of=MAY, protection=Protection(exact=True), filters=filters,
            charts="omit",
        )  # fmt: skip
        pages = PdfReader(io.BytesIO(data)).pages
        return " ".join(" ".join(page.extract_text() for page in pages).split())

    in_the_land = text(Filters(lands=("08",)))
    assert "2 Jobcenter in Baden-Württemberg" in in_the_land
    assert "Auswahl: Land: Baden-Württemberg" in in_the_land
    assert "Nach Jobcentern" in in_the_land
    assert "Jobcenter Test 7" in in_the_land and "Jobcenter Zwei 1" in in_the_land
    one = text(Filters(jobcenters=("08135",)))
    assert "Jobcenter Test" in one and "Auswahl: Jobcenter: Jobcenter Test" in one
    assert "Nach Gemeinden" in one and "Teststadt 4" in one


# --- The rollups: the same sums from far fewer rows ------------------------------------------


def test_the_smallest_rollup_able_to_answer_is_picked() -> None:
    pick = selection.rollup_for
    assert pick(Filters(), []) == "total"
    assert pick(Filters(), ["municipality"]) == "municipality"
    assert pick(Filters(sexes=("f",)), []) == "sex"
    assert pick(Filters(sexes=("f",)), ["sex"]) == "sex"
    assert pick(Filters(lands=("08",)), []) == "municipality"  # a Land: its municipalities
    assert pick(Filters(jobcenters=("08135",)), ["municipality"]) == "municipality"
    assert pick(Filters(barriers=("debts",)), []) == "barrier"
    assert (
        pick(Filters(barriers=("debts",), barrier_mode="all"), ["age_group"]) == "barrier_age_group"
    )
    assert pick(Filters(barriers=("debts", "debts"), barrier_mode="all"), []) == "barrier"
    assert pick(Filters(sexes=("f",)), ["age_group"]) == "characteristics"
    assert pick(Filters(barriers=("debts",)), ["sex", "age_group"]) == "barrier_characteristics"
    assert pick(Filters(barriers=("debts",), municipalities=(A,)), []) == "barrier_municipality"
    assert pick(Filters(sexes=("f",)), ["municipality"]) == "municipality_sex"
    assert pick(Filters(municipalities=(A,)), ["duration"]) == "municipality_duration"
    both = Filters(barriers=("debts", "health"), barrier_mode="all")
    assert pick(both, []) == "pair"
    assert pick(both, ["municipality"]) == "pair_municipality"
    assert pick(both, ["sex"]) == "pair_sex"
    assert selection.rollup_terms(both, []) == [("pair", ("health", "debts"), False)]
    # "any" of two: either code minus both (inclusion and exclusion)
    either = Filters(barriers=("debts", "health"))
    assert pick(either, ["sex"]) == "pair_sex"
    assert selection.rollup_terms(either, ["sex"]) == [
        ("barrier_sex", ("health",), False),
        ("barrier_sex", ("debts",), False),
        ("pair_sex", ("health", "debts"), True),
    ]
    # only the cells can answer
    assert pick(both, ["sex", "age_group"]) is None
    assert pick(either, ["sex", "age_group"]) is None
    assert pick(Filters(barriers=("debts", "health", "language"), barrier_mode="all"), []) is None
    assert pick(Filters(barriers=("unknown",)), []) is None
    assert pick(Filters(barriers=("debts",), municipalities=(A,)), ["sex"]) is None
    assert pick(Filters(sexes=("f",)), ["municipality", "age_group"]) is None
    assert pick(Filters(), ["single_parent"]) is None


def test_the_rollups_hold_the_sums_of_the_cells(cases) -> None:
    keys = dict(zip(cases.clients["client_id"], cases.clients["key"], strict=True))

    def key_sum(*clients: str) -> int:
        return sum(keys[c] for c in clients) % 2**32  # UInt32 sums wrap around

    rollups = selection.months(cases.stock_rollups, MAY, MAY)

    def row(rollup: str, **values) -> tuple[int, int]:
        found = rollups.filter(pl.col("rollup") == rollup, **values)
        assert found.height == 1
        return found.item(0, "elb"), found.item(0, key_column("elb"))

    everybody = ("C1", "C2", "C3", "C4", "C5", "C6", "G", "M", "N")  # H left in 2012
    assert row("total") == (9, key_sum(*everybody))
    assert row("municipality", municipality=B) == (3, key_sum("C4", "C5", "C6"))
    assert row("sex", sex="f") == (4, key_sum("C1", "C3", "C5", "N"))
    # in May: debts of C1, C5 and G (C2's resolved on 10.05., C3's recorded in June)
    assert row("barrier", barrier="debts") == (3, key_sum("C1", "C5", "G"))
    assert row("barrier_sex", barrier="debts", sex="f") == (2, key_sum("C1", "C5"))
    assert row("barrier_municipality", barrier="debts", municipality=A) == (2, key_sum("C1", "G"))
    assert row("municipality_sex", municipality=A, sex="f") == (2, key_sum("C1", "C3"))
    # two barriers at once (in the catalogue's order): C1 (health from 20.05.) and C5
    assert row("pair", barrier="health", second_barrier="debts") == (2, key_sum("C1", "C5"))
    assert row("pair_sex", barrier="health", second_barrier="debts", sex="f") == (
        2,
        key_sum("C1", "C5"),
    )
    assert rollups.filter(pl.col("rollup") == "pair", barrier="debts").is_empty()
    women_in_may = rollups.filter(pl.col("rollup") == "characteristics", sex="f")
    assert women_in_may["elb"].sum() == 4  # C1, C3, C5, N
    assert rollups.filter(pl.col("barrier") == "addiction").is_empty()
    # the figures read from them
    debts_by_sex = monthly_base(cases, Filters(barriers=("debts",)), MAY, MAY, "sex")
    assert debts_by_sex.select("sex", "elb", key_column("elb")).rows() == [
        ("f", 2, key_sum("C1", "C5")),
        ("m", 1, key_sum("G")),
    ]


FIRST, LAST = 2010 * 12, 2013 * 12 + 8  # the months of the data, 01/2010 .. 09/2013
BREAKDOWNS = [
    None,
    *("municipality", "sex", "age_group", "duration", "barrier_count", "jobcenter", "land"),
    ("sex", "age_group"),
    ("municipality", "barrier_count"),
]
# filters a rollup can answer more often: at most one of each, up to two barrier codes
simple_filters = st.builds(
    Filters,
    municipalities=st.lists(st.sampled_from([A, B, "08135999"]), max_size=1).map(tuple),
    lands=st.lists(st.sampled_from(["08", "09"]), max_size=1).map(tuple),
    jobcenters=st.lists(st.sampled_from(["08135", "08136"]), max_size=1).map(tuple),
    sexes=st.lists(st.sampled_from(["f", "m", "d"]), unique=True, max_size=2).map(tuple),
    age_groups=st.lists(st.sampled_from(list(AGE_GROUPS)), unique=True, max_size=2).map(tuple),
    barriers=st.lists(
        st.sampled_from(["debts", "health", "language", "mobility", "addiction", "unknown"]),
        max_size=2,
    ).map(tuple),
    barrier_mode=st.sampled_from(["any", "all"]),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    filters=st.one_of(simple_filters, filters_strategy),
    by=st.sampled_from(BREAKDOWNS),
    first=st.integers(FIRST, LAST),
    months=st.integers(1, 30),
)
def test_the_rollups_answer_exactly_as_the_cells(cases, filters, by, first, months) -> None:
    last = min(first + months - 1, LAST)
    got = monthly_base(cases, filters, first, last, by)
    with patch.object(selection, "rollup_for", return_value=None):  # the cells only
        expected = monthly_base(cases, filters, first, last, by)
    # every count and every key sum, in every month and group
    assert_frame_equal(got, expected, check_exact=True)


def test_the_rollups_sorted_by_name_are_taken_as_the_same_parts(cases) -> None:
    """A rollup frame sorted by rollup (as the cube store reads it) gives each rollup's rows
    as slices, the same rows in the same order as a frame sorted by month."""
    by_month = cases.stock_rollups
    by_name = by_month.sort("rollup", maintain_order=True)
    copies = selection._split_rollups(by_month)
    slices = selection._split_rollups(by_name)
    assert set(slices) == set(copies)
    for name, part in copies.items():
        assert_frame_equal(slices[name], part)
        assert part["month"].is_sorted()


def test_the_barrier_rollups_are_the_same_exploded_or_filtered_per_code(cases, monkeypatch) -> None:
    """Few rows are exploded by barrier code, many filtered per code: the same rollups."""
    from teilhabe import cube, rollups  # noqa: PLC0415

    measures = (*cube.STOCKS, *(key_column(m) for m in cube.STOCKS))
    exploded = rollups.rollups(cases.stock_cells, cases.stock_plain, measures)
    monkeypatch.setattr(rollups, "JOIN_ROWS", -1)
    filtered = rollups.rollups(cases.stock_cells, cases.stock_plain, measures)
    assert exploded.filter(pl.col("second_barrier").is_not_null()).height > 0
    assert_frame_equal(exploded, filtered, check_exact=True)
    assert_frame_equal(exploded, cases.stock_rollups, check_exact=True)
