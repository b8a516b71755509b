"""The cube store: the case copy and cube of a data version, built once, read by every process.

``teilhabe.cube_build.build_store`` (``teilhabe cube build``, and the end of every import)
reads the case tables in one snapshot and writes the copy
(``cases.Cases``: the persons, their spells, integrations, barriers and measures, the monthly
cube and the referral rows) as Parquet files, one folder per frame, into a folder of its own,
then names that folder in the manifest. App processes only read: ``current`` reads the manifest
(a few hundred bytes, cheap enough for every page run) and ``read_version`` the folder it names:
the cube's frames without the barrier masks at once, the per-person frames (persons, spells,
barriers, referral rows, ...) and the cells by barrier mask only when a page first asks for them
(``ON_FIRST_USE``), so that a process showing the Übersicht holds neither the persons nor the
largest frame of the cube. Several processes, also on several machines with a shared path, read
one store.

Layout, per database (``database_folder``: one subfolder per database URL, so that two
databases never share a manifest)::

    <store>/<database>/manifest.json          the last complete version (Manifest)
    <store>/<database>/v-<key>-<build>/<frame>/*.parquet   (the cube's frames: a file per
                                              window of 6 months, ``month // MERGE_MONTHS``)
    <store>/<database>/v-<key>-<build>/_build/ what the next build reuses (never read here)
    <store>/<database>/.build-*/              a build in progress (never read)

Writing is atomic for readers: a build writes into a ``.build-*`` folder, renames it to its
final name when every file is complete, and only then replaces the manifest (a temporary file
and ``os.replace``). A reader therefore sees the old version or the new one, never half of one.
A new version may share files with the one before (hard links to what did not change; no file
is ever written in place). The version before the current one is kept, so that a reader that
read the manifest just before it changed still finds its folder; older ones are deleted.

The store holds client-level data: its folders are 0700 and its files 0600.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

import polars as pl

from teilhabe import cube, rollups
from teilhabe.cases import PERSON_FIELDS, Cases, StoredFrame
from teilhabe.protection import secret_fingerprint

LOG = logging.getLogger(__name__)

# Raise when the layout of the stored copy changes: a store of another layout counts as empty.
# 3: entries and exits of ELB and LZB in the cube (K1E2..K3E4); 4: the rollups (issue 16);
# 5: windows aligned on month // MERGE_MONTHS, the parts kept for partial builds (_build/)
# 6: rollups by municipality and a second dimension, by barrier and municipality, by barrier pair
STORE_LAYOUT = 6
MANIFEST = "manifest.json"
PARTITION_PERSONS = 250_000
MERGE_MONTHS = 6  # months of the cube merged (and stored) per file
STALE_BUILD_SECONDS = 6 * 3600  # a build folder this old belongs to a build that died
CASE_FIELDS = tuple(f.name for f in fields(Cases))
# the order of each frame in the store (the cube's frames as ``cube`` sorts them: by month)
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "clients": ("client",),
    "spells": ("client", "start_month"),
    "integrations": ("client", "month"),
    "barriers": ("client", "barrier_code", "first_month"),
    "measures": ("client", "first_month"),
    "stock_cells": ("month", *cube.CELL_KEYS, "barrier_mask"),
    "stock_plain": ("month", *cube.CELL_KEYS),
    "flow_cells": ("month", *cube.CELL_KEYS, "barrier_mask"),
    "flow_plain": ("month", *cube.CELL_KEYS),
    "stock_rollups": rollups.ROLLUP_KEYS,
    "flow_rollups": rollups.ROLLUP_KEYS,
    "referral_rows": ("month", "client"),
}
# The frames an app process reads only when a page first asks for them: the per-person frames
# (the network and barrier pages') and the cube's cells by barrier mask (a barrier filter's),
# the largest of all; the Übersicht without a barrier filter needs neither.
ON_FIRST_USE = (*PERSON_FIELDS, "stock_cells", "flow_cells")
# Enum columns of the cube whose categories come from the data (the source column of the
# persons): a partition's categories are a subset of the whole's
DATA_ENUMS = {"municipality": "municipality_ags", "sex": "sex"}
CUBE_FIELDS = (
    "stock_cells",
    "stock_plain",
    "flow_cells",
    "flow_plain",
    "stock_rollups",
    "flow_rollups",
    "referral_rows",
)
# The rollups: each partition's rows summed with the others' in the merge (they stay small).
ROLLUP_FIELDS = ("stock_rollups", "flow_rollups")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Manifest:
    """The last complete version of a database's copy in the store."""

    version: str  # the data version of the database it was read from
    folder: str  # its folder in the database's store folder; unique per build
    as_of: int | None  # the month the data describe (``cases.data_as_of``)
    persons: int
    partitions: int
    built_at: str  # ISO time (UTC)
    seconds: float  # how long the build took
    secret: str  # fingerprint of the cell-key secret the record keys derive from
    layout: int = STORE_LAYOUT


def database_folder(store: Path, database_label: str) -> Path:
    """The store folder of one database (named by a digest of its URL without password)."""
    return store / hashlib.sha256(database_label.encode("utf-8")).hexdigest()[:16]


def current(store: Path, database_label: str, secret: str | None) -> Manifest | None:
    """The store's last complete version for this database and secret; None if there is none
    (no manifest, an unreadable one, another layout, another secret, or its folder missing).
    ``secret`` None: whatever secret (for what needs no figures about persons)."""
    base = database_folder(store, database_label)
    try:
        raw = json.loads((base / MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest(**raw)
    except (OSError, ValueError, TypeError) as error:
        if not isinstance(error, FileNotFoundError):
            LOG.warning("Manifest in %s unreadable (%s)", base, error)
        return None
    if manifest.layout != STORE_LAYOUT:
        return None
    if secret is not None and manifest.secret != secret_fingerprint(secret):
        return None
    if not (base / manifest.folder).is_dir():
        return None
    return manifest


def read_version(store: Path, database_label: str, folder: str, *, lazy: bool = True) -> Cases:
    """The copy stored in ``folder`` (a manifest's), every frame read completely (its files in
    order: the cube's are month windows); those of ``ON_FIRST_USE`` only when first used
    (``lazy``), else now. A frame first used after its version was deleted (two newer builds
    later) cannot be read: the next page run reads the newer version."""
    where = database_folder(store, database_label) / folder
    return Cases(
        **{
            name: _stored_frame(where / name)
            if lazy and name in ON_FIRST_USE
            else _read_frame(where / name)
            for name in CASE_FIELDS
        }
    )


def _frame_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"{folder} holds no Parquet file")
    return files


def _read_frame(folder: Path) -> pl.DataFrame:
    frame = pl.read_parquet(_frame_files(folder))
    if folder.name in ROLLUP_FIELDS:
        # each rollup's rows together (still by month within): ``selection`` takes them as
        # slices instead of copies, which would double the rollups in an app's memory
        frame = frame.sort("rollup", maintain_order=True)
    return frame


def _stored_frame(folder: Path) -> StoredFrame:
    return StoredFrame(_frame_files(folder))


def load(store: Path, database_label: str, secret: str | None) -> tuple[Cases, Manifest] | None:
    """The current version and its manifest, or None if the store has none. A version
    replaced (and deleted) while it is read is read again as the newer one."""
    for attempt in range(3):
        manifest = current(store, database_label, secret)
        if manifest is None:
            return None
        try:
            return read_version(store, database_label, manifest.folder), manifest
        except (OSError, pl.exceptions.PolarsError):
            if attempt == 2:
                raise
    return None


# --- What building (``teilhabe.cube_build``) shares with reading --------------------------------


def version_key(version: str, secret: str) -> str:
    key = f"{version}\n{STORE_LAYOUT}\n{secret_fingerprint(secret)}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def write_manifest(base: Path, manifest: Manifest) -> None:
    """Replace the manifest in one step (a reader reads the old one or the new one)."""
    handle, name = tempfile.mkstemp(prefix=".manifest-", dir=base)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(dataclasses.asdict(manifest), file, indent=1)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(name, 0o600)
        os.replace(name, base / MANIFEST)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def private_folder(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def remove_superseded(base: Path, keep: str) -> None:
    """Delete versions older than the one before ``keep`` (a reader may still read that one)."""
    versions = sorted(
        (p for p in base.iterdir() if p.is_dir() and p.name.startswith("v-") and p.name != keep),
        key=lambda p: p.stat().st_mtime,
    )
    for old in versions[:-1]:
        shutil.rmtree(old, ignore_errors=True)
