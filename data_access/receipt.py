"""Benefit receipt as of a month: the ELB and LZB definitions of § 48a SGB II, in one place.

Everything here is a SQLAlchemy statement evaluated in the database, with bound parameters; the
month arithmetic uses the integer month indices of ``benefit_spell`` so that SQLite and PostgreSQL
give the same answer.

Definitions (see the glossary):
- ELB stock in month M: clients with a benefit spell covering M's reporting day (its last day).
- LZB in month M: in the ELB stock in M and in receipt in at least 21 of the 24 months M-23 .. M.
- Duration of current receipt: months since the start of the spell covering M; "four years or
  longer" means the spell started in month M-48 or earlier (e.g. on 30.09.2009 for 09/2013).
"""

from __future__ import annotations

from sqlalchemy import Integer, Select, and_, case, func, select

from data_access.models import BenefitSpell

LZB_WINDOW_MONTHS = 24
LZB_MIN_MONTHS = 21
FOUR_YEARS_MONTHS = 48


def receipt_by_client(as_of: int) -> Select:
    """One row per client with any receipt in the 24-month window ending in ``as_of``.

    Columns: ``client_id``, ``months_in_window`` (0..24), ``in_stock`` (0/1) and
    ``current_start_month`` (start of the spell covering ``as_of``, NULL if not in stock).
    Spells of one client are assumed not to overlap (the importer rejects overlaps).
    """
    spell = BenefitSpell
    window_start = as_of - (LZB_WINDOW_MONTHS - 1)
    first = case((spell.start_month > window_start, spell.start_month), else_=window_start)
    last = case((spell.end_month < as_of, spell.end_month), else_=as_of)
    covers_as_of = and_(spell.start_month <= as_of, spell.end_month >= as_of)
    months = case((last >= first, last - first + 1), else_=0)
    return (
        select(
            spell.client_id.label("client_id"),
            func.sum(months).label("months_in_window"),
            func.max(case((covers_as_of, 1), else_=0)).label("in_stock"),
            func.min(case((covers_as_of, spell.start_month), else_=None)).label(
                "current_start_month"
            ),
        )
        .where(spell.start_month <= as_of, spell.end_month >= window_start)
        .group_by(spell.client_id)
    )


def stock_counts(as_of: int) -> Select:
    """ELB, LZB and LZB in current receipt for four years or longer, as of a month.

    Also the LZB by duration band of current receipt (< 2, 2 to < 4, >= 4 years).
    """
    per_client = receipt_by_client(as_of).subquery("per_client")
    in_stock = per_client.c.in_stock == 1
    lzb = and_(in_stock, per_client.c.months_in_window >= LZB_MIN_MONTHS)
    duration = as_of - per_client.c.current_start_month  # completed months of current receipt

    def count_where(condition) -> object:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)

    return select(
        count_where(in_stock).label("elb"),
        count_where(lzb).label("lzb"),
        count_where(and_(lzb, duration < 24)).label("lzb_under_2y"),
        count_where(and_(lzb, duration >= 24, duration < FOUR_YEARS_MONTHS)).label("lzb_2_4y"),
        count_where(and_(lzb, duration >= FOUR_YEARS_MONTHS)).label("lzb_4y_plus"),
    )
