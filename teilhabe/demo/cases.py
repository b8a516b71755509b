"""The demo's case data per district: clients, benefit spells (exactly 2,380 LZB as of 09/2013),
barrier assessments and integrations, calibrated against the seed article's figures.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from data_access.periods import OPEN_END_MONTH
from teilhabe.definitions import BARRIER_CODES
from teilhabe.demo.spec import (
    AS_OF,
    BARRIER_BASE,
    DATA_END,
    DEFAULT_CLIENTS,
    ELB_NOT_LZB,
    ENTRY_LONG,
    ENTRY_SHORT,
    ENTRY_TREND,
    FIRST_MONTH,
    HOME_DISTRICT,
    IN_RECEIPT_DURATION,
    IN_RECEIPT_WEIGHT,
    K2_TARGET,
    LZB_4Y_PLUS,
    LZB_TOTAL,
    TAU_LONG,
    TAU_SHORT,
    TRANSFER_SHARE_4Y,
    TRANSFERS_LONG,
    TRANSFERS_SHORT,
    WOMEN_WEIGHT,
)


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
