"""K1 and K1E1 from the optional monthly benefit amounts (``benefit_amount``), protected.

K1 is the change of the sum of Leistungen zum Lebensunterhalt in a month against the same
month a year before, in percent; K1E1 the same for Kosten der Unterkunft und Heizung. Both are
figures of the whole Jobcenter: the filters of the pages do not apply to them.

Sums of money need protection as counts do (a sum over few persons tells their benefits). The
rule here, for each sum and month:

- the number of persons contributing to the sum (amount above 0) is published by the cell-key
  method (``protection.publish`` over the persons' record keys);
- the sum is published only when that published number is at least ``min_rate_base``, and then
  rounded to full ``SUM_ROUNDING`` euros;
- a change rate is built only from two published (rounded) sums.

Since the figures are never broken down or filtered, two published sums differ by the
benefits of many persons, not of one or two; the rounding hides what remains.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine, func, select

from data_access.models import BenefitAmount
from teilhabe.cases import Cases
from teilhabe.protection import Protection, publish

SUM_ROUNDING = 1_000  # euros: published sums are multiples of this
CENTS = 100
KINDS = {"living": "living_costs_cents", "housing": "housing_costs_cents"}
CHANGE_KEYS = {"living": "benefits_living_change", "housing": "benefits_housing_change"}


@dataclass(frozen=True)
class BenefitSums:
    """The published sums of one month: persons with an amount and the sum in euros per kind
    (None: not published, fewer than ``min_rate_base`` persons)."""

    month: int
    living_persons: int
    living_euros: float | None
    housing_persons: int
    housing_euros: float | None


def has_amounts(*, engine: Engine) -> bool:
    """Whether any benefit amounts have been imported."""
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(BenefitAmount)).scalar_one() > 0


def _amounts(engine: Engine, months: list[int]) -> pl.DataFrame:
    """The amounts of the given months, one row per person and month."""
    statement = select(
        BenefitAmount.client_id,
        BenefitAmount.month,
        BenefitAmount.living_costs_cents,
        BenefitAmount.housing_costs_cents,
    ).where(BenefitAmount.month.in_(months))
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return pl.DataFrame(
        [tuple(r) for r in rows],
        schema={
            "client_id": pl.String,
            "month": pl.Int64,
            "living_costs_cents": pl.Int64,
            "housing_costs_cents": pl.Int64,
        },
        orient="row",
    )


def benefit_sums(
    *, engine: Engine, cases: Cases, months: list[int], protection: Protection
) -> list[BenefitSums]:
    """The published sums of each month in ``months`` (every month, also one without amounts)."""
    keys = cases.scan("clients").select("client_id", pl.col("key").cast(pl.Int64))
    amounts = (
        _amounts(engine, months).lazy().join(keys, on="client_id", how="left").collect()
    )  # only the two columns of the persons read, and not kept
    parts = [
        amounts.filter(pl.col(column) > 0)
        .group_by("month")
        .agg(
            pl.len().alias(f"{kind}_persons"),
            pl.col("key").fill_null(0).sum().alias(f"{kind}_key"),
            pl.col(column).sum().alias(f"{kind}_cents"),
        )
        for kind, column in KINDS.items()
    ]
    frame = pl.DataFrame({"month": months}, schema={"month": pl.Int64})
    for part in parts:
        frame = frame.join(part, on="month", how="left")
    frame = frame.with_columns(
        publish(
            pl.col(f"{kind}_persons").fill_null(0), pl.col(f"{kind}_key").fill_null(0), protection
        ).alias(f"{kind}_persons")
        for kind in KINDS
    )
    return [_published(row, protection) for row in frame.iter_rows(named=True)]


def _published(row: dict, protection: Protection) -> BenefitSums:
    values: dict[str, object] = {"month": row["month"]}
    for kind in KINDS:
        persons, cents = row[f"{kind}_persons"], row[f"{kind}_cents"] or 0
        values[f"{kind}_persons"] = persons
        values[f"{kind}_euros"] = _published_sum(persons, cents, protection)
    return BenefitSums(**values)  # type: ignore[arg-type]  # the fields, built above


def _published_sum(persons: int, cents: int, protection: Protection) -> float | None:
    if protection.exact:
        return cents / CENTS if persons > 0 else None
    if persons < max(protection.min_rate_base, 1):
        return None
    return float(round(cents / CENTS / SUM_ROUNDING) * SUM_ROUNDING)


def change(now: float | None, before: float | None) -> float | None:
    """The change of a published sum against the year before in percent (None without both)."""
    if now is None or before is None or before <= 0:
        return None
    return (now / before - 1) * 100


def benefit_changes(
    *, engine: Engine, cases: Cases, as_of: int, protection: Protection
) -> dict[str, float | None]:
    """K1 and K1E1 as of a month (``benefits_living_change``, ``benefits_housing_change``);
    an empty dict when no amounts have been imported."""
    if not has_amounts(engine=engine):
        return {}
    before, now = benefit_sums(
        engine=engine, cases=cases, months=[as_of - 12, as_of], protection=protection
    )
    return {
        CHANGE_KEYS["living"]: change(now.living_euros, before.living_euros),
        CHANGE_KEYS["housing"]: change(now.housing_euros, before.housing_euros),
    }
