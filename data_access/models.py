"""The schema: SQLAlchemy 2.0 typed models of the data model (README, "Where the data come from").

Every table has a natural key (a primary key or a unique constraint) so that imports can be
idempotent upserts. Client ids are pseudonymous strings; no table holds a client's name.

Benefit spells carry derived month indices (``start_month``, ``end_month``) next to their dates.
They make the § 48a definitions plain integer arithmetic that SQLite and PostgreSQL evaluate
identically; ``data_access.periods.spell_month_columns`` is the only place that derives them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    # Named constraints, so that later migrations can alter them on SQLite and PostgreSQL alike.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class DatasetInfo(Base):
    """Key/value facts about the loaded data: as-of date, whether it is synthetic, its version."""

    __tablename__ = "dataset_info"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# --- Geography -------------------------------------------------------------------------------


class District(Base):
    """A Kreis or kreisfreie Stadt (5-digit key) and the Jobcenter responsible for it."""

    __tablename__ = "district"

    key: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    jobcenter_name: Mapped[str] = mapped_column(String(160))


class Municipality(Base):
    """A Gemeinde, keyed by its 8-digit official key (AGS)."""

    __tablename__ = "municipality"

    ags: Mapped[str] = mapped_column(String(8), primary_key=True)
    district_key: Mapped[str] = mapped_column(ForeignKey("district.key"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))  # "Stadt", "Gemeinde", ...
    population: Mapped[int] = mapped_column(Integer)
    population_date: Mapped[dt.date] = mapped_column(Date)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class MunicipalityPopulation(Base):
    """The population of a municipality on a reference date (Stichtag der Einwohnerzahl).

    Several dates per municipality may be stored (e.g. 31.12.2012 next to 31.03.2023); figures
    per inhabitant use the one nearest to the Stichtag and name its date. The population in
    ``municipality`` (with its ``population_date``) counts as one more of them.
    """

    __tablename__ = "municipality_population"

    ags: Mapped[str] = mapped_column(ForeignKey("municipality.ags"), primary_key=True)
    reference_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    population: Mapped[int] = mapped_column(Integer)


class MunicipalityBoundary(Base):
    """The boundary polygon of a municipality as GeoJSON geometry in WGS84."""

    __tablename__ = "municipality_boundary"

    ags: Mapped[str] = mapped_column(ForeignKey("municipality.ags"), primary_key=True)
    geometry_geojson: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200))
    schematic: Mapped[bool] = mapped_column(Boolean)


# --- Catalogues ------------------------------------------------------------------------------


class Barrier(Base):
    """A barrier to integration (Vermittlungshemmnis); codes in English, labels in German."""

    __tablename__ = "barrier"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    label: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text)
    key_factor: Mapped[str] = mapped_column(String(40))  # 4-Phasen-Modell Schlüsselgröße


class ServiceCategory(Base):
    __tablename__ = "service_category"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(80))


class ServiceCategoryBarrier(Base):
    """Which barriers a service category addresses (many to many)."""

    __tablename__ = "service_category_barrier"

    category_code: Mapped[str] = mapped_column(
        ForeignKey("service_category.code"), primary_key=True
    )
    barrier_code: Mapped[str] = mapped_column(ForeignKey("barrier.code"), primary_key=True)


# --- The network -----------------------------------------------------------------------------


class Provider(Base):
    """An organisation in the network: education provider, counselling service, authority, ..."""

    __tablename__ = "provider"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    street: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(120))
    municipality_ags: Mapped[str] = mapped_column(ForeignKey("municipality.ags"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(60))
    website: Mapped[str | None] = mapped_column(String(300))
    # What an Open Referral HSDS package said about the organisation beyond these columns
    # (its ids, description, alternate name, further fields), as JSON, written back on export.
    hsds: Mapped[str | None] = mapped_column(Text)


class ProviderLocation(Base):
    """A further location of a provider (the provider row holds its main one); from HSDS
    packages of organisations with several locations. Each is a point on the map."""

    __tablename__ = "provider_location"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the HSDS location id
    provider_id: Mapped[str] = mapped_column(ForeignKey("provider.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # order in the package, from 2
    name: Mapped[str | None] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(120))
    municipality_ags: Mapped[str] = mapped_column(ForeignKey("municipality.ags"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    hsds: Mapped[str | None] = mapped_column(Text)  # further HSDS fields, as for Provider


class Service(Base):
    __tablename__ = "service"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("provider.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category_code: Mapped[str] = mapped_column(ForeignKey("service_category.code"), index=True)
    capacity: Mapped[int | None] = mapped_column(Integer)
    # An active labour-market measure in the sense of K3E2 (Aktivierungsquote).
    labour_market_measure: Mapped[bool] = mapped_column(Boolean, default=False)
    active_from: Mapped[dt.date] = mapped_column(Date)
    active_to: Mapped[dt.date | None] = mapped_column(Date)
    # HSDS fields beyond these columns (ids, description, fees, eligibility, languages, foreign
    # taxonomy terms, service areas given as GeoJSON, ...), as JSON, written back on export.
    hsds: Mapped[str | None] = mapped_column(Text)


class ServiceArea(Base):
    """The municipalities a service is open to."""

    __tablename__ = "service_area"

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), primary_key=True)
    municipality_ags: Mapped[str] = mapped_column(ForeignKey("municipality.ags"), primary_key=True)


class NetworkEvent(Base):
    __tablename__ = "network_event"
    __table_args__ = (UniqueConstraint("date", "title"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district_key: Mapped[str] = mapped_column(ForeignKey("district.key"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    attendees: Mapped[int | None] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(200))


class NetworkEventProvider(Base):
    """A provider that took part in a network event (e.g. at the "Markt der Möglichkeiten")."""

    __tablename__ = "network_event_provider"

    event_id: Mapped[int] = mapped_column(ForeignKey("network_event.id"), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("provider.id"), primary_key=True)


# --- Case data (pseudonymous social data) ----------------------------------------------------


class Client(Base):
    __tablename__ = "client"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    municipality_ags: Mapped[str] = mapped_column(ForeignKey("municipality.ags"), index=True)
    sex: Mapped[str] = mapped_column(String(1))  # "f", "m", "d"
    birth_year: Mapped[int] = mapped_column(Integer)
    single_parent: Mapped[bool] = mapped_column(Boolean, default=False)
    household_id: Mapped[str | None] = mapped_column(String(64))


class BenefitSpell(Base):
    """A period of benefit receipt; ``end_date`` is NULL while it is ongoing.

    ``start_month``/``end_month`` are month indices (year * 12 + month - 1) of the first and the
    last month whose reporting day (the month's last day) the spell covers; an open spell has
    ``end_month = OPEN_END_MONTH``. Derive them with ``data_access.periods.spell_month_columns``.

    ``lzb_from_month`` is the first month of the spell in which the client counts as LZB (NULL if
    never within this spell); from then on to ``end_month`` they do. It depends on the client's
    other spells and is derived by ``data_access.receipt.derive_lzb_from`` whenever spells are
    written, so that every stock figure is a range predicate the database can index.
    """

    __tablename__ = "benefit_spell"
    __table_args__ = (
        UniqueConstraint("client_id", "start_date"),
        Index("ix_benefit_spell_months", "start_month", "end_month", "client_id"),
        Index("ix_benefit_spell_lzb", "lzb_from_month", "end_month", "client_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("client.id"), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    start_month: Mapped[int] = mapped_column(Integer)
    end_month: Mapped[int] = mapped_column(Integer)
    lzb_from_month: Mapped[int | None] = mapped_column(Integer)


class BarrierAssessment(Base):
    __tablename__ = "barrier_assessment"
    __table_args__ = (UniqueConstraint("client_id", "barrier_code", "recorded_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("client.id"), index=True)
    barrier_code: Mapped[str] = mapped_column(ForeignKey("barrier.code"), index=True)
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date)


class Referral(Base):
    __tablename__ = "referral"
    __table_args__ = (UniqueConstraint("client_id", "service_id", "start_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("client.id"), index=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    barrier_code: Mapped[str | None] = mapped_column(ForeignKey("barrier.code"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # planned, active, completed, cancelled


class Integration(Base):
    """Take-up of employment subject to social insurance, vocational training or self-employment.

    At most one per client and month counts (§ 48a): the natural key is (client, month).
    ``continued_12m`` is NULL while the 12 months after the integration have not yet passed.
    """

    __tablename__ = "integration"
    __table_args__ = (UniqueConstraint("client_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("client.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    month: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # employment, training, self_employment
    continued_12m: Mapped[bool | None] = mapped_column(Boolean)


class BenefitAmount(Base):
    """The benefits paid to a person for one month of a benefit spell, in cents (optional data).

    ``living_costs_cents``: Leistungen zum Lebensunterhalt (without housing);
    ``housing_costs_cents``: Kosten der Unterkunft und Heizung. Either may be NULL (not
    delivered). The month is a month index (``data_access.periods.month_index``) inside one of
    the person's spells. K1 and K1E1 (``teilhabe.amounts``) are computed from these.
    """

    __tablename__ = "benefit_amount"
    __table_args__ = (UniqueConstraint("client_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("client.id"), index=True)
    month: Mapped[int] = mapped_column(Integer, index=True)
    living_costs_cents: Mapped[int | None] = mapped_column(Integer)
    housing_costs_cents: Mapped[int | None] = mapped_column(Integer)


# --- Published figures of other Jobcenters ---------------------------------------------------


class PeerFigure(Base):
    """A Kennzahl nach § 48a SGB II as published for another Jobcenter, a Land or Germany.

    ``jobcenter_key`` is the Jobcenter's key, or ``DE`` (Germany) or a Land's abbreviation
    (``BW``) for the published values of Germany and the Länder. ``month`` is a month index;
    ``value`` is the figure as published (percent). ``synthetic`` marks invented demo values.
    """

    __tablename__ = "peer_figure"
    __table_args__ = (UniqueConstraint("jobcenter_key", "month", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    jobcenter_key: Mapped[str] = mapped_column(String(12), index=True)
    jobcenter_name: Mapped[str] = mapped_column(String(200))
    comparison_type: Mapped[str | None] = mapped_column(String(12))
    land: Mapped[str | None] = mapped_column(String(2))
    month: Mapped[int] = mapped_column(Integer, index=True)
    code: Mapped[str] = mapped_column(String(8))
    value: Mapped[float] = mapped_column(Float)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


# --- Imports ---------------------------------------------------------------------------------


class CaseChange(Base):
    """A person whose case rows changed (``data_access.changes``), written by triggers in the
    changing transaction; ``client_id`` NULL: a change that may concern every person."""

    __tablename__ = "case_change"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str | None] = mapped_column(String(64))
    token: Mapped[int | None] = mapped_column(BigInteger)  # random, given by the database


class ImportLog(Base):
    """One import of a file into a table (``teilhabe.exchange.tabular``); dry runs are not logged.

    ``imported_at`` is UTC. ``imported_by`` is the operating-system user for the command line,
    the person's e-mail (or name) for the Daten page with login (their OIDC subject, e-mail
    and role in the ``imported_by_*`` columns), "Weboberfläche (ohne Anmeldung)" for anonymous
    imports of a local installation, or NULL where unknown. ``data_version`` is the version
    the data got from this import (NULL if the import changed nothing).
    """

    __tablename__ = "import_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    table_name: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str | None] = mapped_column(String(120))
    data_version: Mapped[str | None] = mapped_column(String(100))
    # who, for imports through the web interface with login (``data_access.auth.Actor``):
    # the OIDC subject and e-mail of the person and the role they acted in
    imported_by_subject: Mapped[str | None] = mapped_column(String(255))
    imported_by_email: Mapped[str | None] = mapped_column(String(255))
    imported_by_role: Mapped[str | None] = mapped_column(String(40))


class AppUser(Base):
    """A person's role in the app, when the installation takes roles from this table
    (``TEILHABE_ROLE_SOURCE=table``; managed with ``teilhabe users``).

    ``identity`` is the person's OIDC subject (``sub``) or e-mail address (lower case); a
    person matches by subject first, then by e-mail.
    """

    __tablename__ = "app_user"

    identity: Mapped[str] = mapped_column(String(255), primary_key=True)
    role: Mapped[str] = mapped_column(String(40))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime)
    added_by: Mapped[str | None] = mapped_column(String(120))
