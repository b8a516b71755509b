"""The columnar copy of the case data that every figure is computed from.

The SQL database is the system of record. For interaction the case tables are read once per data
version (never per click), reduced to integer columns, and kept as polars frames; the copy of a
data version is built once and stored as Parquet (``teilhabe.cube_store``), from where every app
process reads it. Aggregating over this copy takes milliseconds where SQL joins over a million
clients take a second (see the benchmark).

Reading is the same code on SQLite and PostgreSQL; so is everything computed from the copy.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import overload

import polars as pl
from polars.datatypes import DataType, DataTypeClass
from sqlalchemy import Connection, Engine, Select, and_, func, select

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
from teilhabe.protection import record_keys

READ_BATCH_ROWS = 200_000
PolarsDataType = DataType | DataTypeClass


class StoredFrame:
    """A frame in Parquet files (the cube store's), not read yet."""

    def __init__(self, files: Sequence[Path]) -> None:
        if not files:
            raise FileNotFoundError("no Parquet file")
        self.files = list(files)

    def read(self) -> pl.DataFrame:
        return pl.read_parquet(self.files)

    def scan(self) -> pl.LazyFrame:
        return pl.scan_parquet(self.files)


_FIRST_USE = threading.Lock()  # one reader per frame read on first use


class _Frame:
    """A field of ``Cases`` (required, as the dataclass sees it): a frame, or a ``StoredFrame``
    read (once) on first use."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, cases: None, owner: type | None = None) -> _Frame: ...
    @overload
    def __get__(self, cases: Cases, owner: type | None = None) -> pl.DataFrame: ...
    def __get__(self, cases: Cases | None, owner: type | None = None) -> pl.DataFrame | _Frame:
        if cases is None:
            raise AttributeError(self.name)  # for dataclasses: a field without default
        value = cases.__dict__[self.name]
        if isinstance(value, pl.DataFrame):
            return value
        with _FIRST_USE:
            value = cases.__dict__[self.name]
            if isinstance(value, StoredFrame):
                value = cases.__dict__[self.name] = value.read()
        return value

    def __set__(self, cases: Cases, value: pl.DataFrame | StoredFrame) -> None:
        cases.__dict__[self.name] = value


@dataclass(frozen=True, eq=False, repr=False)
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
    - stock_rollups, flow_rollups: the cube's sums per month for the common questions (totals,
      one dimension, one barrier code; ``rollups.rollups``), read first where they can answer
    - referral_rows: referrals that started, with the client's characteristics in the month of
      the start and the first integration from then on (``cube.referral_rows``), the person's
      key (client_key) and the referral's (referral_key)

    Any frame may be given as ``StoredFrame`` (Parquet files of the cube store): it is then read
    on first use, so that a process that only shows the Übersicht never holds the per-person
    frames (``PERSON_FIELDS``: clients, spells, integrations, barriers, measures,
    referral_rows; see ``cube_store.ON_FIRST_USE``); ``scan`` reads a few columns of one
    without keeping it.

    Record keys stay in the data layer: every count computed from these frames leaves it through
    ``protection.publish``.
    """

    clients: _Frame = _Frame()
    spells: _Frame = _Frame()
    integrations: _Frame = _Frame()
    barriers: _Frame = _Frame()
    measures: _Frame = _Frame()
    stock_cells: _Frame = _Frame()
    stock_plain: _Frame = _Frame()
    flow_cells: _Frame = _Frame()
    flow_plain: _Frame = _Frame()
    stock_rollups: _Frame = _Frame()
    flow_rollups: _Frame = _Frame()
    referral_rows: _Frame = _Frame()

    def scan(self, name: str) -> pl.LazyFrame:
        """One frame as a LazyFrame: from its files if it has not been read (only what the
        query needs is read, and not kept), else from memory."""
        value = self.__dict__[name]
        return value.scan() if isinstance(value, StoredFrame) else value.lazy()

    def is_read(self, name: str) -> bool:
        """Whether the frame is in memory (not a ``StoredFrame`` still to read)."""
        return not isinstance(self.__dict__[name], StoredFrame)


PERSON_FIELDS = ("clients", "spells", "integrations", "barriers", "measures", "referral_rows")


CLIENT_ATTRIBUTES = ("municipality_ags", "district_key", "sex", "birth_year", "single_parent")


def read_cases(*, engine: Engine, secret: str) -> Cases:
    """Read the case tables once and code them as integers (a few seconds per million clients).

    ``secret`` is the installation's cell-key secret (``settings.cell_key_secret``): the record
    keys of the persons, integrations and referrals are derived from it."""
    return read_cases_with_version(engine=engine, secret=secret)[0]


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
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


CLIENT_SCHEMA: dict[str, PolarsDataType] = {
    "client_id": pl.String,
    "municipality_ags": pl.String,
    "district_key": pl.String,
    "sex": pl.String,
    "birth_year": pl.Int32,
    "single_parent": pl.Boolean,
}


def clients_statement() -> Select:
    """The persons with their district, ordered by id (the order gives the dense index)."""
    return (
        select(
            Client.id.label("client_id"),
            Client.municipality_ags,
            Municipality.district_key,
            Client.sex,
            Client.birth_year,
            Client.single_parent,
        )
        .join(Municipality, Municipality.ags == Client.municipality_ags)
        .order_by(Client.id)
    )


def table_statements() -> dict[str, tuple[Select, dict[str, PolarsDataType]]]:
    """The other case tables as read for the copy: per name its statement and schema; every
    one has the person's ``client_id``, so that it can be split by person."""
    return {
        "spells": (
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
        ),
        "integrations": (
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
        ),
        "barriers": (
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
        ),
        "measures": (
            select(Referral.client_id, Referral.start_date, Referral.end_date)
            .join(Service, Service.id == Referral.service_id)
            .where(and_(Service.labour_market_measure.is_(True), Referral.status != "cancelled")),
            {"client_id": pl.String, "start_date": pl.Date, "end_date": pl.Date},
        ),
        "referrals": (
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
        ),
    }


def recorded_version(connection: Connection) -> str:
    """The data version recorded in the database ("" before any data)."""
    return (
        connection.execute(
            select(DatasetInfo.value).where(DatasetInfo.key == "data_version")
        ).scalar()
        or ""
    )


def read_cases_with_version(*, engine: Engine, secret: str) -> tuple[Cases, str]:
    """``read_cases`` and the data version the tables were read at (one snapshot).

    Everything in memory at once; ``teilhabe.cube_build.build_store`` builds the same copy
    person group by person group with bounded memory."""
    with snapshot(engine) as connection:
        version = recorded_version(connection)
        clients = _read(connection, clients_statement(), CLIENT_SCHEMA).with_row_index("client")
        tables = {
            name: _read(connection, statement, schema)
            for name, (statement, schema) in table_statements().items()
        }
        through = data_as_of(connection)
    coded = code_cases(clients, *tables.values(), through=through, secret=secret)
    return coded, version


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


def read_batches(
    connection, statement, schema: Mapping[str, PolarsDataType]
) -> Iterator[pl.DataFrame]:
    """The rows of ``statement`` in batches of ``READ_BATCH_ROWS``, typed as ``schema``."""
    batches = pl.read_database(
        statement,
        connection,
        iter_batches=True,
        batch_size=READ_BATCH_ROWS,
        schema_overrides=schema,
    )
    for batch in batches:
        yield batch.select(list(schema)).cast(pl.Schema(schema))


def fetch_batches(
    connection: Connection, statement: Select, schema: dict
) -> Iterator[pl.DataFrame]:
    """``read_batches``; on SQLite straight from the driver's cursor (dates as ISO text,
    booleans as 0/1, as SQLAlchemy stores them there), without a Python object per value."""
    if connection.dialect.name != "sqlite":
        yield from read_batches(connection, statement, schema)
        return
    text = str(
        statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    )
    stored = {
        column: pl.String if dtype == pl.Date else pl.Int64 if dtype == pl.Boolean else dtype
        for column, dtype in schema.items()
    }
    typed = [
        pl.col(column).str.to_date("%Y-%m-%d") if dtype == pl.Date else pl.col(column).cast(dtype)
        for column, dtype in schema.items()
        if stored[column] != dtype
    ]
    driver = connection.connection.driver_connection
    assert driver is not None  # an open connection has its driver connection
    cursor = driver.cursor()
    try:
        cursor.execute(text)
        while rows := cursor.fetchmany(READ_BATCH_ROWS):
            yield pl.DataFrame(rows, schema=stored, orient="row").with_columns(typed)
    finally:
        cursor.close()


def _read(connection, statement, schema: Mapping[str, PolarsDataType]) -> pl.DataFrame:
    frames = list(read_batches(connection, statement, schema))
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def code_cases(  # noqa: PLR0913 - one argument per case table
    clients: pl.DataFrame,
    spells: pl.DataFrame,
    integrations: pl.DataFrame,
    barriers: pl.DataFrame,
    measures: pl.DataFrame,
    referrals: pl.DataFrame,
    *,
    through: int | None,
    secret: str,
    since: Mapping[str, int] | None = None,
) -> Cases:
    """The case copy of these persons (``clients`` with their dense index ``client``) and their
    rows of the other tables (with ``client_id``), with the cube up to ``through`` (only its
    stocks' and flows' months from ``since["stock"]`` and ``since["flow"]`` on, if given:
    ``cube.build``)."""
    # the record keys, unless given (``teilhabe.cube_build`` keeps those it computed before);
    # natural keys: an integration is (client, month), a referral (client, service, start)
    clients, integrations, referrals = with_record_keys(clients, integrations, referrals, secret)
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
        since=since,
    )
    return Cases(
        clients=clients,
        spells=spells.join(attributes, on="client"),
        integrations=integrations.join(attributes, on="client"),
        barriers=barriers,
        measures=measures,
        **cubes,
    )


def with_record_keys(
    clients: pl.DataFrame, integrations: pl.DataFrame, referrals: pl.DataFrame, secret: str
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The persons, integrations and referrals with their record keys (``key``, ``key`` and
    ``referral_key``), where a frame does not have them yet."""
    if "key" not in clients.columns:
        clients = clients.with_columns(record_keys_of("clients", clients, secret))
    if "key" not in integrations.columns:
        integrations = integrations.with_columns(
            record_keys_of("integrations", integrations, secret)
        )
    if "referral_key" not in referrals.columns:
        referrals = referrals.with_columns(record_keys_of("referrals", referrals, secret))
    return clients, integrations, referrals


def record_keys_of(table: str, rows: pl.DataFrame, secret: str) -> pl.Series:
    """The record keys of these rows of ``clients``, ``integrations`` or ``referrals``, from
    their natural keys: a person is its id, an integration (client, month), a referral
    (client, service, start)."""
    if table == "clients":
        return record_keys(rows["client_id"], secret=secret, kind="client").alias("key")
    if table == "integrations":
        pairs = rows.select("client_id", "month").iter_rows()
        return record_keys(
            (f"{c}\0{m}" for c, m in pairs), secret=secret, kind="integration"
        ).alias("key")
    trios = rows.select("client_id", "service_id", "start_date").iter_rows()
    return record_keys(
        (f"{c}\0{s}\0{d.isoformat()}" for c, s, d in trios), secret=secret, kind="referral"
    ).alias("referral_key")


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
