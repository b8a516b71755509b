"""Simulate a delivery on a bench database, as the importer would leave it (for measuring the
partial build of the cube store, ``teilhabe.cube_build``).

    uv run python script/bench_delivery.py month    <sqlite file>   # one more month of data
    uv run python script/bench_delivery.py district <sqlite file>   # corrections in one district

``month``: the data describe one more month: 2 % of the open spells end in it, 1 % of the
persons without an open spell return, integrations, barrier assessments (recorded and resolved)
and referrals dated in it, and the continuity of the integrations of 12 months before becomes
known. ``district``: in the first district, 1 % of the barrier assessments of the last two
years are resolved a month later and 500 integrations of a year before are corrected. Both
recompute the LZB start of the spells of the persons concerned (``prepare_spells``), log the
import and give the data a new data version (``new_data_version``), in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys

import polars as pl
from sqlalchemy import delete, select, text
from sqlalchemy.engine import make_url

from data_access.auth import Actor
from data_access.db import create_db_engine
from data_access.models import (
    BarrierAssessment,
    BenefitSpell,
    DatasetInfo,
    Integration,
    Referral,
    Service,
)
from data_access.periods import OPEN_END_MONTH, month_key, parse_month
from data_access.receipt import prepare_spells
from data_access.store import bulk_insert, new_data_version, set_dataset_info
from teilhabe.exchange.core import record_import

SEED = 16


def _frame(connection, sql: str) -> pl.DataFrame:
    return pl.read_database(text(sql), connection, infer_schema_length=None)


def _first_day(month: int) -> dt.date:
    return dt.date(month // 12, month % 12 + 1, 1)


def _respell(connection, clients: pl.Series, spells: pl.DataFrame) -> None:
    """Replace the spells of ``clients`` by ``spells`` (client_id, start_date, end_date) with
    their derived month columns, as an import of spells does."""
    table = BenefitSpell.__table__
    ids = clients.to_list()
    for start in range(0, len(ids), 900):
        connection.execute(delete(table).where(table.c.client_id.in_(ids[start : start + 900])))
    prepared = prepare_spells(spells.sort("client_id", "start_date"))
    bulk_insert(connection, table, prepared.select([c for c in prepared.columns if c in table.c]))


def month(connection, as_of: int) -> int:
    new = as_of + 1
    day = _first_day(new)
    spells = _frame(
        connection, "SELECT client_id, start_date, end_date, end_month FROM benefit_spell"
    ).with_columns(pl.col("start_date", "end_date").str.to_date())
    open_spells = spells.filter(pl.col("end_month") == OPEN_END_MONTH)
    ending = open_spells.sample(fraction=0.02, seed=SEED)["client_id"]
    returning = (
        spells.select("client_id")
        .unique()
        .filter(~pl.col("client_id").is_in(open_spells["client_id"].implode()))
        .sample(fraction=0.01, seed=SEED)["client_id"]
    )
    concerned = pl.concat([ending, returning]).unique()
    theirs = spells.filter(pl.col("client_id").is_in(concerned.implode())).select(
        "client_id",
        "start_date",
        pl.when(
            pl.col("client_id").is_in(ending.implode()) & (pl.col("end_month") == OPEN_END_MONTH)
        )
        .then(pl.lit(day + dt.timedelta(days=14)))
        .otherwise("end_date")
        .alias("end_date"),
    )
    back = pl.DataFrame({"client_id": returning, "start_date": day, "end_date": None})
    _respell(connection, concerned, pl.concat([theirs, back], how="vertical_relaxed"))
    # integrations: a third of those whose receipt ended; continuity of a year before known
    integrations = pl.DataFrame(
        {"client_id": ending.sample(fraction=0.35, seed=SEED), "date": day + dt.timedelta(days=9)}
    ).with_columns(kind=pl.lit("employment"), month=pl.lit(new), continued_12m=None)
    connection.execute(
        text(
            "UPDATE integration SET continued_12m = (id % 3 <> 0) "
            f"WHERE month = {new - 12} AND continued_12m IS NULL"
        )
    )
    bulk_insert(connection, Integration.__table__, integrations)
    # barriers: 0.5 % of the persons get one recorded, 1 % of the open ones are resolved
    persons = _frame(connection, "SELECT id FROM client")["id"]
    recorded = pl.DataFrame(
        {"client_id": persons.sample(fraction=0.005, seed=SEED), "barrier_code": "debts"}
    ).with_columns(recorded_on=pl.lit(day + dt.timedelta(days=2)), resolved_on=None)
    connection.execute(
        text(
            "UPDATE barrier_assessment SET resolved_on = :day WHERE resolved_on IS NULL "
            "AND id % 100 = 7 AND recorded_on < :first"
        ),
        {"day": day + dt.timedelta(days=19), "first": day},
    )
    existing = _frame(connection, "SELECT client_id, barrier_code FROM barrier_assessment")
    recorded = recorded.join(existing.unique(), on=["client_id", "barrier_code"], how="anti")
    bulk_insert(connection, BarrierAssessment.__table__, recorded)
    service = connection.execute(select(Service.id).order_by(Service.id).limit(1)).scalar()
    referrals = pl.DataFrame(
        {"client_id": persons.sample(fraction=0.004, seed=SEED + 1), "service_id": service}
    ).with_columns(
        start_date=pl.lit(day + dt.timedelta(days=4)), end_date=None, status=pl.lit("active")
    )
    bulk_insert(connection, Referral.__table__, referrals)
    set_dataset_info(connection, "as_of", month_key(new))
    return concerned.len() + integrations.height + recorded.height + referrals.height


def district(connection, as_of: int) -> int:
    first = _frame(connection, "SELECT min(key) AS key FROM district")["key"][0]
    people = (
        "SELECT c.id FROM client c JOIN municipality m ON m.ags = c.municipality_ags "
        f"WHERE m.district_key = '{first}'"
    )
    since = _first_day(as_of - 23)
    changed = connection.execute(
        text(
            "UPDATE barrier_assessment SET resolved_on = date(coalesce(resolved_on, :day), "
            f"'+1 month') WHERE id % 100 = 3 AND recorded_on >= :since AND client_id IN ({people})"
        ),
        {"since": since, "day": _first_day(as_of)},
    ).rowcount
    changed += connection.execute(
        text(
            "UPDATE integration SET kind = 'training' WHERE id IN (SELECT i.id FROM integration i "
            f"WHERE i.month = {as_of - 12} AND i.kind <> 'training' "
            f"AND i.client_id IN ({people}) LIMIT 500)"
        )
    ).rowcount
    return changed


def main() -> int:
    kind, path = sys.argv[1], sys.argv[2]
    engine = create_db_engine(make_url(f"sqlite:///{path}"))
    with engine.begin() as connection:
        as_of = parse_month(
            connection.execute(select(DatasetInfo.value).where(DatasetInfo.key == "as_of")).scalar()
        )
        rows = (month if kind == "month" else district)(connection, as_of)
        digest = hashlib.sha256(f"{kind}-{as_of}-{rows}".encode()).hexdigest()
        log = record_import(
            connection,
            table="benefit_spell" if kind == "month" else "barrier_assessment",
            file_name=f"lieferung-{kind}.csv",
            sha256=digest,
            counts=(rows, 0, 0),
            actor=Actor.command_line(),
        )
        version = new_data_version(connection, kind="import", log_id=log, sha256=digest)
    print(f"{kind}: {rows} Zeilen geändert, Datenversion {version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
