"""The app's access to the data layer: one cached engine, cached small results.

Pages call these functions; they never see an engine or SQL. Results are cached per data
version, so an import (which changes the version) shows up without a restart.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import geopandas as gpd
import polars as pl
import streamlit as st
from sqlalchemy import Engine

from data_access import completeness, population
from data_access.db import DatabaseUnavailable, SchemaOutdated
from data_access.settings import ConfigurationError, Settings
from teilhabe import barriers, cube_store, figures, network, selection
from teilhabe import directory as provider_directory
from teilhabe.cases import Cases
from teilhabe.definitions import (
    AGE_GROUPS,
    BARRIER_COUNTS,
    BARRIERS,
    DURATION_BANDS,
    SEXES,
    BarrierInfo,
    land_code,
    land_name,
)
from teilhabe.exchange import boundaries
from teilhabe.protection import Protection
from teilhabe.selection import Filters
from teilhabe.startup import build_cube_store, open_database

LOG = logging.getLogger(__name__)
UNAVAILABLE = (
    "Datenbank nicht erreichbar. Bitte versuchen Sie es später noch einmal; die Einzelheiten "
    "stehen im Protokoll des Servers."
)
NOT_PREPARED = (
    "Für diese Daten ist noch kein Datenstand aufbereitet. Er entsteht nach jedem Import von "
    "selbst; die Datenverantwortung kann ihn auch mit `teilhabe cube build` erstellen. Bitte "
    "laden Sie die Seite danach neu."
)


@dataclass(frozen=True)
class Dataset:
    """What the pages need to know about the loaded data."""

    version: str
    as_of: int
    synthetic: bool
    source: str
    protection: Protection
    jobcenter: str  # the Jobcenter's name, or how many Jobcenters the data cover


@st.cache_resource(show_spinner="Datenbank wird geöffnet …")
def _database() -> tuple[Settings, Engine]:
    """Cached for the process: settings are read once and the engine holds the pool.

    On first start without a configured database this also creates the demo data (a few s).
    """
    settings = Settings.load()
    return settings, open_database(settings)


def _engine() -> Engine:
    return _database()[1]


def has_receipt_data() -> bool:
    """Whether the database is usable and holds benefit data (so the filters can be drawn)."""
    try:
        return figures.data_as_of(engine=_database()[1]) is not None
    except (ConfigurationError, DatabaseUnavailable, SchemaOutdated):
        return False


def dataset(*, figures_about_persons: bool = True) -> Dataset:
    """The loaded data set; stops the page with a clear message if the database is unusable,
    or, for a page with figures about persons (``figures_about_persons``), if the data are real
    and no cell-key secret is configured, or if the cube store holds no version yet. The
    filters and the Daten page (imports, data quality) need no secret and pass False.

    The figures come from the cube store's last complete version (``teilhabe.cube_store``; its
    manifest is read on every run, a few hundred bytes): an import builds a new version, and
    every app process shows it from its next run on; until then, the last complete one.
    ``version`` names the stored version (unique per build), so every cached result follows it.
    """
    try:
        settings, engine = _database()
        info = figures.dataset_info(engine=engine)
        as_of = figures.data_as_of(engine=engine)
        jobcenters = figures.jobcenter_names(engine=engine)
    except DatabaseUnavailable as error:
        # visitors learn nothing about host, user, database or path; the server log has it
        LOG.error("%s", error)
        st.error(UNAVAILABLE, icon=":material/error:")
        st.stop()
    except (ConfigurationError, SchemaOutdated) as error:
        st.error(str(error), icon=":material/error:")
        st.stop()
    synthetic = info.get("synthetic") == "true"
    secret = None
    if figures_about_persons:
        try:  # real data need the cell-key secret before any figure is computed
            secret = settings.secret_for(synthetic=synthetic)
        except ConfigurationError as error:
            st.error(str(error), icon=":material/error:")
            st.stop()
    stored = cube_store.current(settings.cube_store, settings.database_label, secret)
    if stored is None and figures_about_persons and as_of is not None and synthetic:
        stored = _first_build(info.get("data_version", ""))  # demo data only
    if stored is not None:
        as_of = stored.as_of
    if as_of is None:
        st.warning("Die Datenbank enthält noch keine Leistungsdaten.", icon=":material/info:")
        st.stop()
    if stored is None and figures_about_persons:
        st.info(NOT_PREPARED, icon=":material/hourglass_empty:")
        st.stop()
    return Dataset(
        version=info.get("data_version", "") if stored is None else stored.folder,
        as_of=as_of,
        synthetic=synthetic,
        source=info.get("source", ""),
        protection=Protection.configured(settings),
        jobcenter=jobcenters[0] if len(jobcenters) == 1 else f"{len(jobcenters)} Jobcenter",
    )


@st.cache_resource(show_spinner="Datenstand wird aufbereitet …", max_entries=1)
def _first_build(data_version: str) -> cube_store.Manifest:
    """Synthetic demo data without any stored version: build it once (per process and data
    version). Real data are never built on a request: imports and ``teilhabe cube build`` do."""
    settings, engine = _database()
    return build_cube_store(engine, settings)


def refresh_store() -> None:
    """After an import on the Daten page: build the cube store of the new data version (the
    import is kept if that fails: the server log has why, ``teilhabe cube build`` repeats it)."""
    settings, engine = _database()
    try:
        with st.spinner("Neuer Datenstand wird aufbereitet …"):
            build_cube_store(engine, settings)
    except (ConfigurationError, OSError, pl.exceptions.PolarsError) as error:
        LOG.error("Cube store not built after the import: %s", error)
        st.warning(
            "Der Import ist gespeichert, der neue Datenstand konnte aber nicht aufbereitet "
            "werden; die Auswertungen zeigen bis dahin den vorigen. Die Einzelheiten stehen im "
            "Protokoll des Servers (erneut: `teilhabe cube build`).",
            icon=":material/warning:",
        )


@st.cache_resource(show_spinner="Falldaten werden geladen …", max_entries=2)
def _cases(version: str) -> Cases:
    """Cached per stored version: the columnar case copy every client figure is computed from,
    read from the cube store (never built here; the frames a page or filter needs only now and
    then on first use: ``cube_store.ON_FIRST_USE``)."""
    settings, _engine_ = _database()
    try:
        return cube_store.read_version(settings.cube_store, settings.database_label, version)
    except (OSError, pl.exceptions.PolarsError):
        # deleted after two newer builds while this process still asked for it: the newest
        loaded = cube_store.load(settings.cube_store, settings.database_label, None)
        if loaded is None:
            raise
        return loaded[0]


@st.cache_data(show_spinner=False)
def headline(
    version: str, as_of: int, protection: Protection, filters: Filters
) -> figures.HeadlineFigures:
    """Cached per data version, month and filters: the Übersicht's figures."""
    return figures.headline_figures(
        engine=_engine(), cases=_cases(version), as_of=as_of, protection=protection, filters=filters
    )


@st.cache_data(show_spinner=False)
def figure_series(
    version: str, first: int, last: int, protection: Protection, filters: Filters
) -> pl.DataFrame:
    """Cached per data version, range and filters: every figure per month, for trend charts."""
    return figures.figure_series(
        cases=_cases(version), first=first, last=last, protection=protection, filters=filters
    )


@st.cache_data(show_spinner=False)
def breakdown(
    version: str, by: str, months: tuple[int, ...], protection: Protection, filters: Filters
) -> pl.DataFrame:
    """Cached per data version, dimension, months and filters: figures per group and month."""
    return figures.breakdown_series(
        cases=_cases(version), by=by, months=months, protection=protection, filters=filters
    )


@st.cache_data(show_spinner=False)
def prevalence(version: str, as_of: int, protection: Protection, filters: Filters) -> pl.DataFrame:
    """Cached: per barrier, ELB/LZB with it, shares, K2 (``barriers.prevalence``)."""
    return barriers.prevalence(_cases(version), filters, as_of, protection)


@st.cache_data(show_spinner=False)
def prevalence_series(
    version: str, months: tuple[int, ...], protection: Protection, filters: Filters
) -> pl.DataFrame:
    """Cached: per month and barrier, ELB/LZB with it and shares."""
    return barriers.prevalence_series(_cases(version), filters, months, protection)


@st.cache_data(show_spinner=False)
def co_occurrence(
    version: str, as_of: int, protection: Protection, filters: Filters
) -> pl.DataFrame:
    """Cached: per pair of barriers, ELB with both and their share."""
    return barriers.co_occurrence(_cases(version), filters, as_of, protection)


@st.cache_data(show_spinner=False)
def rate_matrix(version: str, as_of: int, protection: Protection, filters: Filters) -> pl.DataFrame:
    """Cached: K2 by number of barriers x duration of receipt."""
    return barriers.rate_matrix(_cases(version), filters, as_of, protection)


@st.cache_data(show_spinner=False)
def group_comparison(
    version: str, as_of: int, protection: Protection, filters: Filters
) -> pl.DataFrame:
    """Cached: the barrier group against everybody else with the same other filters."""
    return barriers.group_comparison(_cases(version), filters, as_of, protection)


@st.cache_data(show_spinner=False)
def referral_outcomes(
    version: str, as_of: int, protection: Protection, filters: Filters
) -> pl.DataFrame:
    """Cached: referrals to services addressing each barrier and their outcomes."""
    return barriers.referral_outcomes(
        _cases(version), filters, as_of, protection, addresses=_addresses(version)
    )


# --- The network -----------------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def directory(version: str) -> pl.DataFrame:
    """Cached per data version: one row per service with provider, category, barriers, areas."""
    return provider_directory.provider_directory(engine=_engine())


@st.cache_data(show_spinner=False)
def places(version: str) -> pl.DataFrame:
    """Cached per data version: AGS, name, population and town centre of each municipality."""
    return provider_directory.municipalities(engine=_engine())


@dataclass(frozen=True)
class MapAreas:
    geojson: dict  # FeatureCollection, feature id = AGS, WGS84
    schematic: bool  # some or all polygons are schematic (no boundaries exist for them)
    source: str
    attribution: str = ""  # copyright line of the official boundaries shown ("" if none)
    schematic_count: int = 0  # municipalities drawn schematically


@st.cache_data(show_spinner=False)
def map_areas(version: str) -> MapAreas:
    """Cached per data version: the municipality polygons (stored, else schematic ones)."""
    stored = boundaries.load_boundaries(_engine())
    if stored.empty:
        frame = boundaries.schematic_boundaries(places(version))
        features = [
            {"type": "Feature", "id": ags, "properties": {"ags": ags}, "geometry": json.loads(g)}
            for ags, g in frame.select("ags", "geometry_geojson").iter_rows()
        ]
        return MapAreas(
            {"type": "FeatureCollection", "features": features},
            True,
            "schematisch",
            schematic_count=frame.height,
        )
    collection = json.loads(stored[["ags", "geometry"]].to_json(drop_id=True))
    for feature in collection["features"]:
        feature["id"] = feature["properties"]["ags"]
    official = stored[~stored["schematic"]]
    return MapAreas(
        collection,
        bool(stored["schematic"].any()),
        ", ".join(sorted({s.split(boundaries.SOURCE_SEPARATOR, 1)[0] for s in official["source"]})),
        boundaries.attribution(official["source"]),
        int(stored["schematic"].sum()),
    )


def active_directory(version: str, as_of: int, barriers: tuple[str, ...] = ()) -> pl.DataFrame:
    """The services active on the Stichtag; with ``barriers``, those addressing any of them."""
    return selection.directory_rows(
        provider_directory.active_services(directory(version), as_of), barriers=barriers
    )


def _addresses(version: str) -> dict[str, list[str]]:
    return provider_directory.category_barriers(directory(version))


@st.cache_data(show_spinner=False)
def reach(
    version: str, as_of: int, protection: Protection, filters: Filters, by: str
) -> pl.DataFrame:
    """Cached: clients reached, referrals and outcomes per provider or service category."""
    return network.reach(_cases(version), filters, as_of, protection, by=by)


@st.cache_data(show_spinner=False)
def reach_series(
    version: str, as_of: int, years: int, protection: Protection, filters: Filters, by: str
) -> pl.DataFrame:
    """Cached: clients reached per 12-month window and provider or category."""
    return network.reach_series(_cases(version), filters, as_of, years, protection, by=by)


@st.cache_data(show_spinner=False)
def coverage_series(
    version: str, as_of: int, years: int, protection: Protection, filters: Filters
) -> pl.DataFrame:
    """Cached: barrier coverage as of the month and the years before."""
    return network.coverage_series(
        _cases(version), filters, as_of, years, protection, _addresses(version)
    )


@st.cache_data(show_spinner=False)
def coverage(version: str, as_of: int, protection: Protection, filters: Filters) -> pl.DataFrame:
    """Cached: barrier coverage per barrier."""
    return network.barrier_coverage(
        _cases(version), filters, as_of, protection, _addresses(version)
    )


@st.cache_data(show_spinner=False)
def flows(version: str, as_of: int, protection: Protection, filters: Filters) -> pl.DataFrame:
    """Cached: referral flows barrier -> category -> outcome (published; zeros left out)."""
    return network.flows(_cases(version), filters, as_of, protection, _addresses(version))


@st.cache_data(show_spinner=False)
def map_measures(
    version: str, as_of: int, protection: Protection, filters: Filters
) -> pl.DataFrame:
    """Cached: the measures the map shades, per municipality; per 1,000 inhabitants with the
    population nearest to the Stichtag, its date in ``population_date`` (text, 31.12.2012)."""
    at = population.populations_at(stored_populations(version), as_of)
    where = places(version).drop("population").join(at, on="ags", how="left")
    measures = network.municipality_measures(
        _cases(version), filters, as_of, protection, where, _addresses(version)
    )
    dates = at.select("ags", pl.col("population_date").dt.strftime("%d.%m.%Y"))
    return measures.join(dates, on="ags", how="left")


@st.cache_data(show_spinner=False)
def stored_populations(version: str) -> pl.DataFrame:
    """Cached per data version: every stored population with its reference date."""
    return population.populations(engine=_engine())


@st.cache_data(show_spinner=False)
def last_month_check(version: str, last: int) -> completeness.LastMonthCheck:
    """Cached per data version: whether the data's last month looks incomplete."""
    return completeness.last_month_in_database(engine=_engine(), last=last)


@st.cache_data(show_spinner=False)
def gaps(
    version: str, as_of: int, protection: Protection, filters: Filters, distance_km: float
) -> pl.DataFrame:
    """Cached: municipality x chosen barrier with affected ELB and the nearest matching service."""
    chosen = filters.barriers
    affected = network.barrier_coverage(
        _cases(version), filters, as_of, protection, _addresses(version), by_municipality=True
    ).select("municipality", "barrier_code", "affected")
    # distances from the town centres, where most people live (not from the edge of the area)
    centres = places(version)
    points = gpd.GeoDataFrame(
        {"ags": centres["ags"].to_list()},
        geometry=gpd.points_from_xy(centres["lon"].to_list(), centres["lat"].to_list()),
        crs="EPSG:4326",
    )
    return network.coverage_gaps(
        points,
        directory(version),
        affected,
        as_of=as_of,
        distance_km=distance_km,
        barriers=chosen,
    )


@st.cache_data(show_spinner=False)
def events(version: str, until: int) -> pl.DataFrame:
    """Cached: network events up to the month, with the providers that took part."""
    return provider_directory.events_with_providers(engine=_engine(), until=until)


def settings() -> Settings:
    """The validated settings (map style, default gap distance, ...)."""
    return _database()[0]


@st.cache_data(show_spinner=False)
def municipality_names(version: str) -> dict[str, str]:
    """Cached per data version: AGS -> name, in alphabetical order of the names."""
    return figures.municipality_names(engine=_engine())


@st.cache_data(show_spinner=False)
def jobcenters(version: str) -> dict[str, str]:
    """Cached per data version: district key -> name of its Jobcenter, ordered by key."""
    return figures.jobcenters(engine=_engine())


@st.cache_data(show_spinner=False)
def first_complete_month(version: str, years: int) -> int | None:
    """Cached per data version: the first month with ``years`` years of data before it."""
    return figures.first_complete_month(engine=_engine(), years=years)


def barrier_catalogue() -> tuple[BarrierInfo, ...]:
    """The barriers in catalogue order, with German label, explanation and key factor."""
    return BARRIERS


def group_labels(version: str, by: str) -> dict[str, str]:
    """German labels of the groups of a breakdown."""
    if by == "municipality":
        return municipality_names(version)
    if by == "jobcenter":
        return jobcenters(version)
    if by == "land":
        return {
            code: land_name(code) for code in dict.fromkeys(map(land_code, jobcenters(version)))
        }
    return {
        "sex": SEXES,
        "age_group": AGE_GROUPS,
        "duration": DURATION_BANDS,
        "barrier_count": BARRIER_COUNTS,
    }[by]


def report_inputs(version: str) -> tuple[Engine, Cases]:
    """The engine and the case copy, for the PDF report built outside the page run
    (``ui.downloads.report_download``); pages never see them."""
    return _engine(), _cases(version)
