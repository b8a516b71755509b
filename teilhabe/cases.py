"""The columnar copy of the case data that every figure is computed from.

The SQL database is the system of record. For interaction the case tables are read once per data
version (never per click), reduced to integer columns, and kept as polars frames, also cached as
Parquet files so that a restarted process does not read the database again. Aggregating over this
copy takes milliseconds where SQL joins over a million clients take a second (see the benchmark).

Reading is the same code on SQLite and PostgreSQL; so is everything computed from the copy.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

import polars as pl
from polars.datatypes import DataType, DataTypeClass
from sqlalchemy import Connection, Engine, and_, func, select

from data_access.models import (
    BarrierAssessment,
    BenefitSpell,
    Client,
    DatasetInfo,
    Integration,
    Municipality,
    Referral,
    Service,
)
from data_access.periods import OPEN_END_MONTH, covered_months, month_index_expr, parse_month
from teilhabe import cube
from teilhabe.protection import record_keys, secret_fingerprint

READ_BATCH_ROWS = 200_000
LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cases:
    """Integer-coded case data; ``client`` is a dense index into ``clients``.

    - clients: client, client_id, municipality_ags, district_key, sex, birth_year, single_parent,
      key (the person's record key, ``protection.record_keys``)
    - spells: client, start_month, end_month, lzb_from_month (plus the client's attributes)
    - integrations: client, month, kind, continued_12m, lzb (LZB in the month of integration),
      spell_start_month (start of the spell during or at whose end it happened), key (the
      integration's record key)
    - barriers: client, barrier_code, first_month, last_month (months the barrier is recorded)
    - measures: client, first_month, last_month (referrals to active labour-market measures)
    - stock_cells, stock_plain, flow_cells, flow_plain: the monthly cube derived from the above
      (``teilhabe.cube``), up to the month the data describe
    - referral_rows: referrals that started, with the client's characteristics in the month of
      the start and the first integration from then on (``cube.referral_rows``), the person's
      key (client_key) and the referral's (referral_key)

    Record keys stay in the data layer: every count computed from these frames leaves it through
    ``protection.publish``.
    """

    clients: pl.DataFrame
    spells: pl.DataFrame
    integrations: pl.DataFrame
    barriers: pl.DataFrame
    measures: pl.DataFrame
    stock_cells: pl.DataFrame
    stock_plain: pl.DataFrame
    flow_cells: pl.DataFrame
    flow_plain: pl.DataFrame
    referral_rows: pl.DataFrame


CLIENT_ATTRIBUTES = ("municipality_ags", "district_key", "sex", "birth_year", "single_parent")


def read_cases(*, engine: Engine, secret: str) -> Cases:
    """Read the case tables once and code them as integers (a few seconds per million clients).

    ``secret`` is the installation's cell-key secret (``settings.cell_key_secret``): the record
    keys of the persons, integrations and referrals are derived from it."""
    return read_cases_with_version(engine=engine, secret=secret)[0]


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One connection in one read transaction, so that every table (and the data version) is
    read from the same state even while an import commits: REPEATABLE READ on PostgreSQL (one
    snapshot for the transaction), a single read transaction on SQLite."""
    if engine.dialect.name == "postgresql":
        with (
            engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection,
            connection.begin(),
        ):
            yield connection
        return
    with engine.connect() as connection:
        # pysqlite opens no transaction for reads by itself; in WAL mode a read transaction
        # sees the database as of its first read until it ends
        connection.exec_driver_sql("BEGIN")
        try:
            yield connection
        finally:
            connection.rollback()


def read_cases_with_version(*, engine: Engine, secret: str) -> tuple[Cases, str]:
    """``read_cases`` and the data version the tables were read at (one snapshot)."""
    with _snapshot(engine) as connection:
        version = connection.execute(
            select(DatasetInfo.value).where(DatasetInfo.key == "data_version")
        ).scalar()
        clients = _read(
            connection,
            select(
                Client.id.label("client_id"),
                Client.municipality_ags,
                Municipality.district_key,
                Client.sex,
                Client.birth_year,
                Client.single_parent,
            )
            .join(Municipality, Municipality.ags == Client.municipality_ags)
            .order_by(Client.id),
            {
                "client_id": pl.String,
                "municipality_ags": pl.String,
                "district_key": pl.String,
                "sex": pl.String,
                "birth_year": pl.Int32,
                "single_parent": pl.Boolean,
            },
        ).with_row_index("client")
        spells = _read(
            connection,
            select(
                BenefitSpell.client_id,
                BenefitSpell.start_month,
                BenefitSpell.end_month,
                BenefitSpell.lzb_from_month,
            ).where(BenefitSpell.end_month >= BenefitSpell.start_month),
            {
                "client_id": pl.String,
                "start_month": pl.Int32,
                "end_month": pl.Int32,
                "lzb_from_month": pl.Int32,
            },
        )
        integrations = _read(
            connection,
            select(
                Integration.client_id,
                Integration.month,
                Integration.kind,
                Integration.continued_12m,
            ),
            {
                "client_id": pl.String,
                "month": pl.Int32,
                "kind": pl.String,
                "continued_12m": pl.Boolean,
            },
        )
        barriers = _read(
            connection,
            select(
                BarrierAssessment.client_id,
                BarrierAssessment.barrier_code,
                BarrierAssessment.recorded_on,
                BarrierAssessment.resolved_on,
            ),
            {
                "client_id": pl.String,
                "barrier_code": pl.String,
                "recorded_on": pl.Date,
                "resolved_on": pl.Date,
            },
        )
        through = data_as_of(connection)
        measures = _read(
            connection,
            select(Referral.client_id, Referral.start_date, Referral.end_date)
            .join(Service, Service.id == Referral.service_id)
            .where(and_(Service.labour_market_measure.is_(True), Referral.status != "cancelled")),
            {"client_id": pl.String, "start_date": pl.Date, "end_date": pl.Date},
        )
        referrals = _read(
            connection,
            select(
                Referral.client_id,
                Referral.service_id,
                Referral.start_date,
                Referral.status,
                Referral.barrier_code,
                Service.category_code,
                Service.provider_id,
            )
            .join(Service, Service.id == Referral.service_id)
            .where(Referral.status != "planned"),
            {
                "client_id": pl.String,
                "service_id": pl.String,
                "start_date": pl.Date,
                "status": pl.String,
                "barrier_code": pl.String,
                "category_code": pl.String,
                "provider_id": pl.String,
            },
        )
    coded = _code(clients, spells, integrations, barriers, measures, referrals, through, secret)
    return coded, version or ""


def data_as_of(connection) -> int | None:
    """The month the data describe: as recorded at import, else the last month with an event.

    Events are the start or end of receipt and integrations (open spells do not end).
    """
    recorded = connection.execute(
        select(DatasetInfo.value).where(DatasetInfo.key == "as_of")
    ).scalar()
    if recorded:
        return parse_month(recorded)
    latest = connection.execute(
        select(func.max(BenefitSpell.end_month)).where(BenefitSpell.end_month < OPEN_END_MONTH)
    ).scalar()
    latest_start = connection.execute(select(func.max(BenefitSpell.start_month))).scalar()
    latest_integration = connection.execute(select(func.max(Integration.month))).scalar()
    candidates = [m for m in (latest, latest_start, latest_integration) if m is not None]
    return max(candidates) if candidates else None


PolarsDataType = DataType | DataTypeClass


def _read(connection, statement, schema: Mapping[str, PolarsDataType]) -> pl.DataFrame:
    batches = pl.read_database(
        statement,
        connection,
        iter_batches=True,
        batch_size=READ_BATCH_ROWS,
        schema_overrides=schema,
    )
    frames = [batch.select(list(schema)).cast(pl.Schema(schema)) for batch in batches]
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def _code(  # noqa: PLR0913 - one argument per case table
    clients, spells, integrations, barriers, measures, referrals, through: int | None, secret: str
) -> Cases:
    clients = clients.with_columns(
        record_keys(clients["client_id"], secret=secret, kind="client").alias("key")
    )
    # natural keys: an integration is (client, month), a referral (client, service, start)
    integrations = integrations.with_columns(
        record_keys(
            (f"{c}\0{m}" for c, m in integrations.select("client_id", "month").iter_rows()),
            secret=secret,
            kind="integration",
        ).alias("key")
    )
    referrals = referrals.with_columns(
        record_keys(
            (
                f"{c}\0{s}\0{d.isoformat()}"
                for c, s, d in referrals.select("client_id", "service_id", "start_date").iter_rows()
            ),
            secret=secret,
            kind="referral",
        ).alias("referral_key")
    )
    index = clients.select("client", "client_id")
    attributes = clients.select("client", *CLIENT_ATTRIBUTES)

    def coded(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.join(index, on="client_id").drop("client_id")

    spells = coded(spells).sort("client", "start_month")
    integrations = _with_receipt_at_integration(coded(integrations), spells)
    # A barrier counts at a reporting day from its recording until the day before it is resolved.
    barrier_first, barrier_last = covered_months(
        pl.col("recorded_on"), pl.col("resolved_on") - pl.duration(days=1)
    )
    barriers = coded(barriers).select(
        "client",
        "barrier_code",
        barrier_first.alias("first_month"),
        barrier_last.cast(pl.Int32).alias("last_month"),
    )
    measure_first, measure_last = covered_months(pl.col("start_date"), pl.col("end_date"))
    measures = coded(measures).select(
        "client",
        measure_first.alias("first_month"),
        measure_last.cast(pl.Int32).alias("last_month"),
    )
    referrals = coded(referrals).select(
        "client",
        month_index_expr(pl.col("start_date")).alias("month"),
        "referral_key",
        "status",
        "barrier_code",
        "category_code",
        "provider_id",
    )
    cubes = cube.build(
        clients,
        spells,
        integrations,
        barriers,
        measures,
        referrals,
        through=0 if through is None else through,  # no receipt recorded: nothing to count
    )
    return Cases(
        clients=clients,
        spells=spells.join(attributes, on="client"),
        integrations=integrations.join(attributes, on="client"),
        barriers=barriers,
        measures=measures,
        **cubes,
    )


def _with_receipt_at_integration(integrations: pl.DataFrame, spells: pl.DataFrame) -> pl.DataFrame:
    """Mark integrations of LZB and attach the start of the spell they ended or happened in.

    An integration counts for K3E1 when the person was LZB in the month of the integration or,
    where it ended the receipt, in the last month of receipt before it.
    """
    matched = (
        integrations.with_row_index("integration")
        .join(spells, on="client")
        .filter(
            pl.col("start_month") <= pl.col("month"),
            pl.col("end_month") >= pl.col("month") - 1,
        )
        .sort("integration", "start_month")
        .group_by("integration", maintain_order=True)
        .agg(
            pl.col("start_month").last().alias("spell_start_month"),
            (
                pl.col("lzb_from_month").is_not_null()
                & (pl.col("lzb_from_month") <= pl.min_horizontal("month", "end_month"))
            )
            .last()
            .alias("lzb"),
        )
    )
    return (
        integrations.with_row_index("integration")
        .join(matched, on="integration", how="left")
        .with_columns(pl.col("lzb").fill_null(False))
        .drop("integration")
    )


# --- The Parquet cache -----------------------------------------------------------------------


# Raise when the layout of the copy changes, so that no process reads a copy of an older layout.
COPY_FORMAT = 6


def cache_folder(data_dir: Path, database_label: str, version: str, secret: str) -> Path:
    """One folder per database, data version, cell-key secret and copy layout; never an old
    copy, nor one whose record keys come from another secret."""
    key = f"{database_label}\n{version}\n{COPY_FORMAT}\n{secret_fingerprint(secret)}"
    key = hashlib.sha256(key.encode()).hexdigest()[:16]
    return data_dir / "cache" / key


def load_cases(
    *, engine: Engine, folder: Path | None, secret: str, version: str | None = None
) -> Cases:
    """The case copy from the Parquet cache in ``folder`` if present, else read and cache it.

    ``folder`` must come from ``cache_folder`` with the same ``secret`` (and ``version``, the
    data version it was named after). The cache is only an optimisation and holds client-level
    data: its folders are 0700 and its files 0600; a copy of an older data version is deleted
    when a new one is written; any error reading or writing it is logged and the copy is read
    from the database instead (a truncated or corrupt file is rebuilt). A copy whose snapshot
    turned out to be of another data version than ``version`` (an import committed meanwhile)
    is used but not cached under the old name.
    """
    names = [f.name for f in fields(Cases)]
    if folder is not None and all((folder / f"{n}.parquet").is_file() for n in names):
        try:
            return Cases(**{n: pl.read_parquet(folder / f"{n}.parquet") for n in names})
        except (OSError, pl.exceptions.PolarsError) as error:
            LOG.warning("Cache %s unreadable (%s); reading the database instead", folder, error)
            shutil.rmtree(folder, ignore_errors=True)
    cases, read_version = read_cases_with_version(engine=engine, secret=secret)
    if folder is not None and (version is None or read_version == version):
        try:
            _write_cache(cases, folder)
        except OSError as error:
            LOG.warning("Cache %s not written (%s); the app works without it", folder, error)
            shutil.rmtree(folder, ignore_errors=True)
    return cases


def _write_cache(cases: Cases, folder: Path) -> None:
    """Write the copy into ``folder`` (private to the app's user) and delete older copies."""
    parent = folder.parent
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(parent, 0o700)
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    for field in fields(Cases):
        partial = folder / f"{field.name}.parquet.partial"
        getattr(cases, field.name).write_parquet(partial)
        os.chmod(partial, 0o600)
        partial.replace(folder / f"{field.name}.parquet")  # never a half-written file
    for other in parent.iterdir():  # superseded copies: other versions, secrets or layouts
        if other != folder and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)
