"""The last month of real data: flagged when it holds under half the usual integrations."""

import polars as pl

from data_access.completeness import check_last_month

LAST = 24164  # 09/2013


def months(per_month: dict[int, int]) -> pl.Series:
    return pl.Series([m for m, n in per_month.items() for _ in range(n)], dtype=pl.Int32)


def test_a_last_month_with_under_half_the_mean_is_flagged() -> None:
    history = {m: 90 for m in range(LAST - 24, LAST)}
    check = check_last_month(months({**history, LAST: 44}), LAST)
    assert (check.month, check.incomplete, check.suggested) == (LAST, True, LAST - 1)
    # exactly half the mean is not flagged, nor a usual month
    assert not check_last_month(months({**history, LAST: 45}), LAST).incomplete
    assert not check_last_month(months({**history, LAST: 88}), LAST).incomplete


def test_the_demo_cliff_of_the_old_generator_would_have_been_flagged() -> None:
    """8 integrations in 09/2013 against 77 to 106 before (issue 11)."""
    history = {m: 77 + (m * 7) % 30 for m in range(LAST - 12, LAST)}
    assert check_last_month(months({**history, LAST: 8}), LAST).incomplete


def test_without_twelve_months_of_history_nothing_is_flagged() -> None:
    assert not check_last_month(months({LAST - 2: 50, LAST - 1: 50, LAST: 1}), LAST).incomplete
    assert not check_last_month(months({}), LAST).incomplete


def test_the_calibrated_demo_is_not_flagged(demo_engine) -> None:
    from data_access.completeness import last_month_in_database

    assert not last_month_in_database(engine=demo_engine, last=LAST).incomplete


def test_the_database_check_counts_integrations_in_sql(build_db) -> None:
    """Two integrations in each of the 12 months before the last, none in it: flagged."""
    import datetime as dt

    import polars as pl

    from data_access.completeness import last_month_in_database

    people = [f"P{i:02d}" for i in range(25)]
    days = [dt.date(2012 + (8 + i // 2) // 12, (8 + i // 2) % 12 + 1, 15) for i in range(24)]
    days.append(dt.date(2011, 5, 15))  # history: integrations before the 12 months
    engine = build_db(
        [(p, dt.date(2010, 1, 1), None) for p in people],
        integration=pl.DataFrame(
            {
                "client_id": people,
                "date": days,
                "kind": ["employment"] * 25,
                "continued_12m": [None] * 25,
            },
            schema_overrides={"continued_12m": pl.Boolean},
        ),
    )
    check = last_month_in_database(engine=engine, last=LAST)
    assert (check.incomplete, check.suggested) == (True, LAST - 1)
    assert not last_month_in_database(engine=engine, last=LAST - 1).incomplete
