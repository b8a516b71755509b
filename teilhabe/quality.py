"""Data quality at a glance, for the Daten page: everything aggregated in SQL, never row by row.

- ``table_overview``: rows per table and the range of its main date;
- ``missing_values``: empty optional fields per table and column;
- ``gaps``: records that miss their counterpart (persons without a benefit spell, services
  without a service area, ...) and references to rows that do not exist;
- ``data_state``: the as-of month and where it comes from, the data version, synthetic or not.

Counts of records about persons that are not whole-table totals (e.g. persons without a benefit
spell, empty fields of client-level tables) pass ``protection.withhold_small``: 1 and 2 become
null (shown as "–").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Engine, and_, exists, func, not_, select

from data_access.models import (
    Barrier,
    BarrierAssessment,
    Base,
    BenefitSpell,
    Client,
    DatasetInfo,
    Integration,
    NetworkEvent,
    NetworkEventProvider,
    Provider,
    Service,
    ServiceArea,
    ServiceCategory,
)
from teilhabe import cases
from teilhabe.exchange.tables import IMPORT_ORDER, TABLES
from teilhabe.protection import Protection, withhold_small

# The date whose range says which period a table covers.
MAIN_DATES = {
    "municipality": "population_date",
    "municipality_population": "reference_date",
    "service": "active_from",
    "benefit_spell": "start_date",
    "barrier_assessment": "recorded_on",
    "referral": "start_date",
    "integration": "date",
    "network_event": "date",
}
CATALOGUES = ((Barrier, "Hemmniskatalog"), (ServiceCategory, "Leistungskategorien"))


def _suppressed(count: int, *, personal: bool, protection: Protection) -> int | None:
    return withhold_small(count, protection) if personal else count


def table_overview(*, engine: Engine) -> pl.DataFrame:
    """Per table: German name, rows, first and last value of its main date (null if none)."""
    rows = []
    with engine.connect() as connection:
        for name in IMPORT_ORDER:
            spec = TABLES[name]
            table = spec.table
            date = MAIN_DATES.get(name)
            columns: list[ColumnElement[Any]] = [func.count()]
            if date:
                columns += [func.min(table.c[date]), func.max(table.c[date])]
            result = connection.execute(select(*columns).select_from(table)).one()
            first, last = (result[1], result[2]) if date else (None, None)
            rows.append(
                {
                    "table": name,
                    "label": spec.label,
                    "rows": int(result[0]),
                    "first": _as_date(first),
                    "last": _as_date(last),
                }
            )
        for model, label in CATALOGUES:
            count = connection.execute(select(func.count()).select_from(model)).scalar_one()
            rows.append(
                {"table": model.__tablename__, "label": label, "rows": int(count)}
                | {"first": None, "last": None}
            )
    return pl.DataFrame(
        rows,
        schema={
            "table": pl.String,
            "label": pl.String,
            "rows": pl.Int64,
            "first": pl.Date,
            "last": pl.Date,
        },
    )


def _as_date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])  # SQLite aggregates may return text


def missing_values(*, engine: Engine, protection: Protection) -> pl.DataFrame:
    """Per optional column of each table: rows with the field empty, and their share in %."""
    rows = []
    with engine.connect() as connection:
        for name in IMPORT_ORDER:
            spec = TABLES[name]
            table = spec.table
            optional = [
                c for c in spec.columns if not c.required and c.kind != "list" and c.name in table.c
            ]
            if not optional:
                continue
            counts = connection.execute(
                select(func.count(), *(func.count(table.c[c.name]) for c in optional))
            ).one()
            total = int(counts[0])
            for column, filled in zip(optional, counts[1:], strict=True):
                missing = _suppressed(
                    total - int(filled), personal=spec.personal, protection=protection
                )
                rows.append(
                    {
                        "table": spec.label,
                        "column": column.header,
                        "missing": missing,
                        "share": None
                        if missing is None or total == 0
                        else round(100 * missing / total, 1),
                    }
                )
    return pl.DataFrame(
        rows,
        schema={"table": pl.String, "column": pl.String, "missing": pl.Int64, "share": pl.Float64},
    )


def gaps(*, engine: Engine, protection: Protection) -> pl.DataFrame:
    """Records that miss their counterpart, and references to rows that do not exist."""
    checks = [
        (
            "Personen ohne Leistungszeitraum",
            True,
            select(func.count())
            .select_from(Client)
            .where(not_(exists().where(BenefitSpell.client_id == Client.id))),
        ),
        (
            "Integrationen ohne Leistungsbezug davor",
            True,
            select(func.count())
            .select_from(Integration)
            .where(
                not_(
                    exists().where(
                        and_(
                            BenefitSpell.client_id == Integration.client_id,
                            BenefitSpell.start_date <= Integration.date,
                        )
                    )
                )
            ),
        ),
        (
            "Hemmnisse, die vor ihrer Erfassung behoben sind",
            True,
            select(func.count())
            .select_from(BarrierAssessment)
            .where(BarrierAssessment.resolved_on < BarrierAssessment.recorded_on),
        ),
        (
            "Leistungszeiträume, die vor ihrem Beginn enden",
            True,
            select(func.count())
            .select_from(BenefitSpell)
            .where(BenefitSpell.end_date < BenefitSpell.start_date),
        ),
        (
            "Anbieter ohne Leistung",
            False,
            select(func.count())
            .select_from(Provider)
            .where(not_(exists().where(Service.provider_id == Provider.id))),
        ),
        (
            "Leistungen ohne Versorgungsgebiet",
            False,
            select(func.count())
            .select_from(Service)
            .where(not_(exists().where(ServiceArea.service_id == Service.id))),
        ),
        (
            "Netzwerkveranstaltungen ohne teilnehmende Anbieter",
            False,
            select(func.count())
            .select_from(NetworkEvent)
            .where(not_(exists().where(NetworkEventProvider.event_id == NetworkEvent.id))),
        ),
    ]
    rows = []
    with engine.connect() as connection:
        for label, personal, statement in checks:
            count = int(connection.execute(statement).scalar_one())
            rows.append(
                {
                    "check": label,
                    "count": _suppressed(count, personal=personal, protection=protection),
                }
            )
        dangling = 0
        personal_tables = {name for name, spec in TABLES.items() if spec.personal}
        dangling_personal = False
        for table in Base.metadata.sorted_tables:
            for foreign_key in table.foreign_keys:
                column, target = foreign_key.parent, foreign_key.column
                statement = (
                    select(func.count())
                    .select_from(table)
                    .where(
                        column.is_not(None),
                        not_(exists().where(target == column)),
                    )
                )
                found = int(connection.execute(statement).scalar_one())
                dangling += found
                dangling_personal |= found > 0 and table.name in personal_tables
        rows.append(
            {
                "check": "Verweise auf fehlende Datensätze",
                "count": _suppressed(dangling, personal=dangling_personal, protection=protection),
            }
        )
    return pl.DataFrame(rows, schema={"check": pl.String, "count": pl.Int64})


def data_state(*, engine: Engine) -> dict[str, object]:
    """The as-of month (and whether it was recorded or derived), data version, synthetic."""
    with engine.connect() as connection:
        info = dict(connection.execute(select(DatasetInfo.key, DatasetInfo.value)).all())
        as_of = cases.data_as_of(connection)
    return {
        "as_of": as_of,
        "as_of_recorded": bool(info.get("as_of")),
        "data_version": info.get("data_version", ""),
        "synthetic": info.get("synthetic") == "true",
        "source": info.get("source", ""),
    }
