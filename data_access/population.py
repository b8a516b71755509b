"""Populations with their reference date, for figures per 1,000 inhabitants.

A municipality's population is stored with the date it refers to: in ``municipality``
(``population``, ``population_date``) and, for further dates, in ``municipality_population``.
Figures for a Stichtag use, per municipality, the population whose date is nearest to it (the
earlier one on a tie), and show that date next to the figure.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine, select

from data_access.models import Municipality, MunicipalityPopulation
from data_access.periods import month_end

SCHEMA = {"ags": pl.String, "population": pl.Int64, "population_date": pl.Date}


def populations(*, engine: Engine) -> pl.DataFrame:
    """Every stored population: ags, population, population_date (unique per ags and date)."""
    with engine.connect() as connection:
        current = connection.execute(
            select(Municipality.ags, Municipality.population, Municipality.population_date)
        ).all()
        further = connection.execute(
            select(
                MunicipalityPopulation.ags,
                MunicipalityPopulation.population,
                MunicipalityPopulation.reference_date,
            )
        ).all()
    rows = [tuple(r) for r in further] + [tuple(r) for r in current]
    frame = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    # the table's row wins over the municipality's for the same date
    return frame.unique(["ags", "population_date"], keep="first", maintain_order=True).sort(
        "ags", "population_date"
    )


def populations_at(stored: pl.DataFrame, as_of: int) -> pl.DataFrame:
    """Per municipality the population nearest to the Stichtag (last day of month ``as_of``):
    ags, population, population_date."""
    day = month_end(as_of)
    return (
        stored.with_columns(
            (pl.col("population_date") - pl.lit(day)).dt.total_days().abs().alias("distance")
        )
        .sort("ags", "distance", "population_date")
        .group_by("ags", maintain_order=True)
        .first()
        .select(list(SCHEMA))
    )
