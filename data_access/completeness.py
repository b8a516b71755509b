"""Is the last month of the data complete? A check for real data.

Records of the last month often arrive late: an extract taken early in a month holds only part
of the previous month's integrations, and K2 and the change against the year before then drop
by an artefact. When the last month holds fewer than ``INCOMPLETE_SHARE`` of the mean number of
integrations of the 12 months before it, the app says so and offers the month before as
Stichtag. Only the yes/no leaves this module, never a count.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine, func, select

from data_access.models import Integration

INCOMPLETE_SHARE = 0.5
WINDOW = 12


@dataclass(frozen=True)
class LastMonthCheck:
    month: int  # the last month of the data
    incomplete: bool  # fewer than INCOMPLETE_SHARE of the mean of the 12 months before
    suggested: int  # the month to offer as Stichtag instead (the month before)


def check_last_month(integration_months: pl.Series, last: int) -> LastMonthCheck:
    """``integration_months``: the month index of every integration; ``last``: the data's
    last month. Without 12 months of history (or without integrations before) nothing is
    flagged."""
    months = integration_months.drop_nulls()
    first = months.min()
    counts = months.filter((months >= last - WINDOW) & (months <= last)).value_counts()
    per_month = dict(zip(counts[counts.columns[0]], counts["count"], strict=True))
    before = [per_month.get(m, 0) for m in range(last - WINDOW, last)]
    history = isinstance(first, int) and first <= last - WINDOW
    mean = sum(before) / WINDOW
    incomplete = bool(history and mean > 0 and per_month.get(last, 0) < INCOMPLETE_SHARE * mean)
    return LastMonthCheck(month=last, incomplete=incomplete, suggested=last - 1)


def last_month_in_database(*, engine: Engine, last: int) -> LastMonthCheck:
    """``check_last_month`` from the integrations of the database (counted in SQL, so that no
    case copy and no cell-key secret is needed for it, e.g. right after an import)."""
    with engine.connect() as connection:
        counts = dict(
            connection.execute(
                select(Integration.month, func.count())
                .where(Integration.month.between(last - WINDOW, last))
                .group_by(Integration.month)
            ).all()
        )
        first = connection.execute(select(func.min(Integration.month))).scalar()
    months = [m for m, n in counts.items() for _ in range(n)]
    if first is not None:
        months.append(first)  # only its existence matters (history of 12 months)
    return check_last_month(pl.Series(months, dtype=pl.Int32), last)
