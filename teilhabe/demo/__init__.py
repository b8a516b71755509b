"""Deterministic synthetic demo data: Landkreis Heidenheim as of September 2013, and more.

The default data set reproduces the figures of the seed article by construction of the case data,
not by storing them: as of 09/2013 the spells give exactly 2,380 LZB (21 of 24 months), 1,388 of
them in current receipt for four years or longer. The rest is plausible and consistent, and
calibrated against published values (K2 in the mid-20s with men clearly above women, K3E1 in the
mid-teens, K3E2 around 10 %): barriers accumulate with the duration of receipt, the chance of an
integration falls with the number of barriers and the duration, and stocks, spell ends and
integrations run at their usual rate through the last day of the data (no artefact in the last
month). The 11 municipalities carry their official keys and the real 2013 boundaries (BKG VG250
2013, shipped in ``demo_data``). Provider names are invented; every figure is synthetic.

The same generator scales (``clients``, ``districts``) for benchmarks; then the district's figures
scale along and are no longer the seed's.

The package: ``spec`` (spec, data version, calibration constants), ``geography`` (catalogues,
municipalities, boundaries), ``network`` (providers, services, events), ``cases`` (clients,
spells, barriers, integrations), ``referrals``, ``peers`` (the synthetic comparison group);
this module puts them together and loads them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from data_access.store import holds_real_data, replace_dataset_chunks
from teilhabe.demo.cases import _cases
from teilhabe.demo.geography import _boundaries, _catalogues, _geography
from teilhabe.demo.network import _network
from teilhabe.demo.peers import demo_peer_figures
from teilhabe.demo.referrals import Spill, put_aside, referral_pieces
from teilhabe.demo.spec import (
    AS_OF,
    DEFAULT_CLIENTS,
    DEMO_BOUNDARY_FILE,
    DEMO_DIR,
    SEED,
    DemoSpec,
    data_version,
    outdated_spec,
)

__all__ = [
    "AS_OF",
    "DEMO_BOUNDARY_FILE",
    "DEMO_DIR",
    "SEED",
    "DemoSpec",
    "RealDataPresent",
    "_geography",
    "data_version",
    "generate",
    "generate_pieces",
    "load_demo",
    "outdated_spec",
]


def generate(spec: DemoSpec = DemoSpec()) -> dict[str, pl.DataFrame]:
    """All tables of the demo data set, as polars frames keyed by table name (in memory: for
    small data sets; ``load_demo`` writes them piece by piece)."""
    pieces: dict[str, list[pl.DataFrame]] = {}
    for name, frame in generate_pieces(spec):
        pieces.setdefault(name, []).append(frame)
    return {name: pl.concat(frames) for name, frames in pieces.items()}


def generate_pieces(spec: DemoSpec = DemoSpec()) -> Iterator[tuple[str, pl.DataFrame]]:
    """The tables of the demo data set piece by piece (table name, frame), in an order the
    foreign keys allow: the catalogues, geography and network, then the cases district by
    district, then the referrals. Only one district's cases are in memory at a time (what the
    referrals need of them waits on disk), so a data set of millions is generated with the
    memory of a district; the pieces put together are the same data whatever the districts."""
    rng = np.random.default_rng(spec.seed)
    geography = _geography(spec.districts)
    network = _network(rng, geography["municipality"])
    yield from _catalogues().items()
    yield from geography.items()
    yield "municipality_boundary", _boundaries(geography["municipality"])
    yield from network.items()
    per_district = spec.clients / spec.districts
    scale = per_district / DEFAULT_CLIENTS
    with tempfile.TemporaryDirectory(prefix="teilhabe-demo-") as folder:
        spill = Spill(Path(folder))
        first_ids: dict[str, str] = {}
        for district_key, munis in geography["municipality"].group_by(
            "district_key", maintain_order=True
        ):
            cases = _cases(rng, district_key, munis, scale)
            yield from cases.items()
            key = str(district_key[0])
            put_aside(spill, key, cases)
            first_ids[key] = str(cases["client"]["id"].min() or "")
            del cases
        # the referrals' draws go over the persons in the order of their ids; a district's ids
        # share its prefix ("HDH-", "D99002-"), so the districts follow each other in that order
        order = sorted(first_ids, key=first_ids.__getitem__)
        for referrals in referral_pieces(rng, spill, order, network):
            yield "referral", referrals
    yield "peer_figure", demo_peer_figures()
    yield (
        "dataset_info",
        pl.DataFrame(
            {
                "key": ["as_of", "synthetic", "source", "data_version"],
                "value": [
                    f"{AS_OF // 12:04d}-{AS_OF % 12 + 1:02d}",
                    "true",
                    "Synthetischer Demodatensatz des Teilhabe-Monitors "
                    f"(Seed {spec.seed}, {spec.clients:,} Personen, {spec.districts} Kreis(e))",
                    data_version(spec),
                ],
            }
        ),
    )


class RealDataPresent(Exception):
    """The target database holds data that are not synthetic; the demo would overwrite them."""


def load_demo(engine, spec: DemoSpec = DemoSpec(), *, force: bool = False) -> dict[str, int]:
    """Replace the database's contents with the demo data set (one transaction)."""
    if holds_real_data(engine) and not force:
        raise RealDataPresent(
            f"Die Datenbank {engine.url.render_as_string(hide_password=True)} enthält echte "
            "(nicht synthetische) Daten. Die Demodaten würden sie ersetzen; dafür --force angeben."
        )
    return replace_dataset_chunks(engine=engine, chunks=generate_pieces(spec))
