"""The own Jobcenter next to its peers: published Kennzahlen of the Jobcenters of its
Vergleichstyp (mean and range), of its Land and of Germany (``peer_figure``), beside the own
figures as the app publishes them (protected, never exact).

The peer values are figures others published (sgb2.info); they are shown as they are. Which
Vergleichstyp the own Jobcenter belongs to is read from the file's rows with the own
Jobcenter's key (the Kreis key); its values there are not used: the own column is always the
app's own protected figure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine, func, select

from data_access.models import District, PeerFigure
from teilhabe.peer_codes import GERMANY_KEY, KENNZAHLEN, LAENDER, OWN_FIGURES, land_of_district

COMPARISON_SCHEMA = {
    "code": pl.String,
    "label": pl.String,
    "own": pl.Float64,
    "type_mean": pl.Float64,
    "type_min": pl.Float64,
    "type_max": pl.Float64,
    "type_count": pl.Int64,
    "land": pl.Float64,
    "germany": pl.Float64,
}


@dataclass(frozen=True)
class Comparison:
    """What the Vergleich section shows; ``rows`` follows ``COMPARISON_SCHEMA`` (one row per
    Kennzahl present on both sides). ``note`` says why there is nothing to compare, if so."""

    month: int | None
    own_key: str | None
    comparison_type: str | None
    land: str | None
    peers: int  # Jobcenters of the Vergleichstyp in the month (without the own)
    synthetic: bool
    rows: pl.DataFrame
    note: str = ""

    @property
    def land_name(self) -> str:
        return LAENDER.get(self.land or "", self.land or "")


def has_peer_figures(*, engine: Engine) -> bool:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(PeerFigure)).scalar_one() > 0


def _read(engine: Engine) -> pl.DataFrame:
    columns = (
        PeerFigure.jobcenter_key,
        PeerFigure.comparison_type,
        PeerFigure.land,
        PeerFigure.month,
        PeerFigure.code,
        PeerFigure.value,
        PeerFigure.synthetic,
    )
    with engine.connect() as connection:
        rows = connection.execute(select(*columns)).all()
        districts = list(connection.execute(select(District.key)).scalars())
    frame = pl.DataFrame(
        [tuple(r) for r in rows],
        schema={
            "key": pl.String,
            "comparison_type": pl.String,
            "land": pl.String,
            "month": pl.Int64,
            "code": pl.String,
            "value": pl.Float64,
            "synthetic": pl.Boolean,
        },
        orient="row",
    )
    return frame.with_columns(pl.lit(districts[0] if len(districts) == 1 else None).alias("own"))


def _empty(note: str, **known) -> Comparison:
    values = {
        "month": None,
        "own_key": None,
        "comparison_type": None,
        "land": None,
        "peers": 0,
        "synthetic": False,
        **known,
    }
    return Comparison(rows=pl.DataFrame(schema=COMPARISON_SCHEMA), note=note, **values)


def as_mapping(figures: object) -> Mapping[str, object]:
    """Figures as a mapping, whether they come as a dict or as a dataclass."""
    if isinstance(figures, Mapping):
        return figures
    if dataclasses.is_dataclass(figures) and not isinstance(figures, type):
        return {f.name: getattr(figures, f.name) for f in dataclasses.fields(figures)}
    raise TypeError(f"no figures: {type(figures).__name__}")


def peer_comparison(*, engine: Engine, own: object, as_of: int) -> Comparison:
    """The comparison as of a month: peer values of the latest month up to ``as_of`` in the
    file; ``own`` holds the own Jobcenter's published figures (``OWN_FIGURES`` keys; a mapping
    or a dataclass)."""
    own = as_mapping(own)
    frame = _read(engine)
    own_key = frame["own"][0] if frame.height else None
    if frame.is_empty():
        return _empty("Keine Vergleichswerte importiert.")
    if own_key is None:
        return _empty("Der Vergleich braucht genau einen Kreis (ein Jobcenter) in der Datenbank.")
    months = frame.filter(pl.col("month") <= as_of)["month"]
    if months.is_empty():
        return _empty("Die Vergleichswerte beginnen erst nach dem Stichtag.", own_key=own_key)
    month = int(months.max())  # type: ignore[arg-type]  # a non-empty integer column
    own_rows = frame.filter(pl.col("key") == own_key)
    types = own_rows["comparison_type"].drop_nulls()
    comparison_type = types[-1] if len(types) else None
    land = land_of_district(own_key)
    current = frame.filter((pl.col("month") == month) & (pl.col("key") != own_key))
    jobcenters = current.filter(~pl.col("key").is_in([GERMANY_KEY, *LAENDER]))
    peers = jobcenters.filter(pl.col("comparison_type") == comparison_type)
    rows = _rows(as_mapping(own), peers, current, land)
    return Comparison(
        month=month,
        own_key=own_key,
        comparison_type=comparison_type,
        land=land,
        peers=peers["key"].n_unique(),
        synthetic=bool(current["synthetic"].any()),
        rows=rows,
        note="" if rows.height else "Keine Kennzahl liegt auf beiden Seiten vor.",
    )


def _rows(
    own: Mapping[str, object], peers: pl.DataFrame, current: pl.DataFrame, land: str | None
) -> pl.DataFrame:
    """One row per Kennzahl with an own value and at least one value of the other side."""
    stats = peers.group_by("code").agg(
        pl.col("value").mean().alias("type_mean"),
        pl.col("value").min().alias("type_min"),
        pl.col("value").max().alias("type_max"),
        pl.len().cast(pl.Int64).alias("type_count"),
    )
    aggregates = {
        name: dict(current.filter(pl.col("key") == key).select("code", "value").iter_rows())
        for name, key in (("land", land), ("germany", GERMANY_KEY))
    }
    by_code = {row["code"]: row for row in stats.iter_rows(named=True)}
    records = []
    for code, label in KENNZAHLEN.items():
        value = own.get(OWN_FIGURES[code])
        others = by_code.get(code)
        land_value, germany = aggregates["land"].get(code), aggregates["germany"].get(code)
        if not isinstance(value, int | float) or (
            others is None and land_value is None and germany is None
        ):
            continue
        records.append(
            {
                "code": code,
                "label": label,
                "own": float(value),
                "type_mean": None if others is None else others["type_mean"],
                "type_min": None if others is None else others["type_min"],
                "type_max": None if others is None else others["type_max"],
                "type_count": 0 if others is None else others["type_count"],
                "land": land_value,
                "germany": germany,
            }
        )
    return pl.DataFrame(records, schema=COMPARISON_SCHEMA)
