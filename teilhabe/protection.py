"""Statistical disclosure protection of every published count: the cell-key method.

Every count the app, the CLI, the downloads, the PDF report and the slides publish passes
``publish`` (an expression) or ``publish_columns`` (a whole frame at once) here, both through the
one rule ``deviations``; every rate is built by ``rate`` from published parts.
The method is the one the statistical offices use for tables built on demand from microdata
(ABS TableBuilder, the 2022 census of Destatis and the Länder; Thompson, Broadfoot and Elazar
2013; Giessing 2016):

- Each record has a fixed random key in [0, 1): a person (stocks, groups, reach), an integration,
  a referral. The key is a keyed hash (HMAC-SHA256) of the record's pseudonymous natural key with
  an installation secret (``record_keys``), so nobody without the secret can compute it. Keys are
  32-bit integers (the key times 2^32); they stay in the data layer and never reach an export.
- A cell's key is the sum of its records' keys modulo 2^32 (exact integer arithmetic, so the same
  in SQLite, PostgreSQL and polars, and additive like the counts themselves: the monthly cube
  carries the key sum of every count next to it).
- A perturbation table (``perturbation_table.csv``, made by ``script/perturbation_table.py``)
  maps (count, cell key) to a deviation d; the published value is count + d.

What is guaranteed for every published count:

- the same set of records gets the same published value on every route, page, filter and export
  (the value depends on nothing but the records);
- 0 stays 0; 1 and 2 are never published (they appear as 0 or 3); a count of 3 or more is
  published as 3 or more; the deviation is at most ``MAX_DEVIATION`` (2) and 0 on average;
- the difference of two published numbers is the difference of the true numbers plus noise of up
  to 2 x ``MAX_DEVIATION``: comparing two views (two filter choices, two months, a total and its
  parts, "any" and "all", LZB and ELB) no longer gives a group of one or two persons exactly.

What is not guaranteed: parts do not add up exactly to their published total; a rate is a ratio
of published (not true) counts; and as with every noise method, an attacker who can publish many
*different* pairs of sets that differ by the same persons could average the noise away over
very many queries (the reason the deviation is drawn from a table with variance about 1 rather
than being tiny). Rates whose published denominator is below ``Protection.min_rate_base`` are
not shown ("zu kleine Gruppe").

Exact values are only for whoever holds the database: ``Protection(exact=True)`` (the CLI's
``--exact``) passes counts through unchanged and is marked so.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from data_access.settings import DEFAULT_MIN_RATE_BASE, Settings
from data_access.settings import DEMO_SECRET as DEMO_SECRET  # the demo data's, re-exported

KEY_BITS = 32
KEY_RANGE = 1 << KEY_BITS
KEY_DTYPE = pl.UInt32  # sums of UInt32 wrap around modulo 2^32 in polars: exactly the cell key
TABLE_FILE = Path(__file__).with_name("perturbation_table.csv")

NOTE = (
    "Zum Schutz der Sozialdaten ist jede Fallzahl geringfügig und stets gleich verändert "
    "(Zufallsüberlagerung, höchstens ±2); die Werte 1 und 2 erscheinen nie. "
    "Teilsummen ergeben daher nicht immer genau die gezeigte Summe, und Quoten werden erst "
    "ab {base} Personen im Nenner gezeigt („–“ = zu kleine Gruppe)."
)
NOTE_EXACT = "Exakte Werte ohne Zufallsüberlagerung – nur für den internen Gebrauch."


@dataclass(frozen=True)
class Protection:
    """How published numbers are protected: the cell-key method (default) or exact values.

    ``min_rate_base``: the smallest published denominator for which a rate is shown.
    """

    exact: bool = False
    min_rate_base: int = DEFAULT_MIN_RATE_BASE

    @property
    def label(self) -> str:
        """ "cell-key" or "none", as the CLI's JSON names it."""
        return "none" if self.exact else "cell-key"

    @property
    def note(self) -> str:
        """The plain-German explanation for footnotes, export headers, PDF and slides."""
        return NOTE_EXACT if self.exact else NOTE.format(base=self.min_rate_base)

    @classmethod
    def configured(cls, settings: Settings) -> Protection:
        """The installation's protection: the cell-key method with its minimum rate base."""
        return cls(min_rate_base=settings.min_rate_base)


# --- Record keys -------------------------------------------------------------------------------


def record_keys(ids: Iterable[str], *, secret: str, kind: str) -> pl.Series:
    """The 32-bit key of each record: HMAC-SHA256(secret, kind + NUL + id), first 4 bytes.

    ``kind`` separates the key spaces ("client", "integration", "referral"), so that an
    integration does not share its person's key.
    """
    # HMAC(k, m) = H((k ^ opad) || H((k ^ ipad) || m)), with both padded-key states hashed once
    block = hashlib.sha256().block_size
    key = secret.encode("utf-8")
    key = hashlib.sha256(key).digest() if len(key) > block else key
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    inner.update(kind.encode("utf-8") + b"\0")

    def one(record_id: object) -> int:
        message = inner.copy()
        message.update(str(record_id).encode("utf-8"))
        mac = outer.copy()
        mac.update(message.digest())
        return int.from_bytes(mac.digest()[:4], "big")

    values = [one(i) for i in ids]
    return pl.Series("key", values, dtype=KEY_DTYPE)


def secret_fingerprint(secret: str) -> str:
    """A short digest that names the secret in cache paths without revealing it."""
    return hashlib.sha256(b"teilhabe cell key\0" + secret.encode("utf-8")).hexdigest()[:16]


# --- The perturbation table --------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    n_max: int
    max_deviation: int
    # per n in 0..n_max: the deviations in ascending order and their upper key bounds
    deviations: tuple[tuple[int, ...], ...]
    uppers: tuple[tuple[int, ...], ...]


@cache
def table() -> _Table:
    rows: dict[int, list[tuple[int, int]]] = {}
    with TABLE_FILE.open(encoding="utf-8") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        for record in csv.DictReader(lines):
            rows.setdefault(int(record["n"]), []).append((int(record["d"]), int(record["upper"])))
    n_max = max(rows)
    if sorted(rows) != list(range(n_max + 1)):
        raise ValueError(f"{TABLE_FILE}: counts 0..{n_max} must each have a distribution")
    deviations, uppers = [], []
    for n in range(n_max + 1):
        pairs = sorted(rows[n])
        if pairs[-1][1] != KEY_RANGE:
            raise ValueError(f"{TABLE_FILE}: the distribution of n={n} does not end at 2^32")
        deviations.append(tuple(d for d, _ in pairs))
        uppers.append(tuple(u for _, u in pairs))
    max_deviation = max(abs(d) for ds in deviations for d in ds)
    return _Table(n_max, max_deviation, tuple(deviations), tuple(uppers))


MAX_DEVIATION = table().max_deviation


def deviation(count: int, key: int) -> int:
    """The deviation for a true ``count`` whose cell key (sum of record keys) is ``key``."""
    return int(deviations(np.array([count]), np.array([key]))[0])


def deviations(counts: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``deviation`` for arrays (any shape) of counts (not negative) and key sums (any int64).

    One binary search per value in the table's intervals (``_intervals``, as ``publish``)."""
    starts, values = _interval_arrays()
    rows = np.minimum(counts, table().n_max)
    cell_keys = np.remainder(keys, KEY_RANGE)  # the sign of the divisor: 0 .. 2^32 - 1
    position = rows * (2 * KEY_RANGE) + cell_keys
    return values[np.searchsorted(starts, position, side="right") - 1]


@cache
def _interval_arrays() -> tuple[np.ndarray, np.ndarray]:
    starts, values = _intervals()
    return starts.to_numpy(), values.to_numpy()


@cache
def _intervals() -> tuple[pl.Series, pl.Series]:
    """The table as one ascending list of interval starts over ``row * 2^33 + cell key`` and
    the deviation of each interval: the lookup of ``deviations`` as a polars expression."""
    t = table()
    starts: list[int] = []
    values: list[int] = []
    for n, (ds, us) in enumerate(zip(t.deviations, t.uppers, strict=True)):
        lower = 0
        for d, upper in zip(ds, us, strict=True):
            starts.append(n * 2 * KEY_RANGE + lower)
            values.append(d)
            lower = upper
    if starts != sorted(starts):
        raise ValueError(f"{TABLE_FILE}: the upper key bounds do not ascend")
    return pl.Series("start", starts, dtype=pl.Int64), pl.Series("d", values, dtype=pl.Int64)


def publish(count: pl.Expr | str, key: pl.Expr | str, protection: Protection) -> pl.Expr:
    """The published value of a count whose cell key (key sum, any integer type) is ``key``.

    Null counts stay null. With ``protection.exact`` the count itself. Vectorised over whole
    columns (use it in ``select``/``with_columns``, not inside a group-by aggregation).

    A native polars expression (a search in the table's intervals), no Python function: polars
    runs expressions on its thread pool, and a Python function there needs the interpreter
    lock. A thread that holds the lock while it waits for that pool (some eager polars calls
    do) then waits forever: under concurrent sessions the whole server process hung.
    """
    count = pl.col(count) if isinstance(count, str) else count
    if protection.exact:
        return count.cast(pl.Int64)
    key = pl.col(key) if isinstance(key, str) else key
    n = count.cast(pl.Int64)
    cell_key = ((key.cast(pl.Int64) % KEY_RANGE) + KEY_RANGE) % KEY_RANGE  # 0 .. 2^32 - 1
    starts, values = _intervals()
    position = n.clip(upper_bound=table().n_max) * (2 * KEY_RANGE) + cell_key
    index = pl.lit(starts).search_sorted(position, side="right").cast(pl.Int64) - 1
    return pl.when(position.is_not_null()).then(n + pl.lit(values).gather(index.clip(0)))


def key_column(count: str) -> str:
    """The column holding the key sum of a count column."""
    return f"{count}__key"


def publish_columns(
    frame: pl.DataFrame, counts: Iterable[str] | Mapping[str, str], protection: Protection
) -> pl.DataFrame:
    """``frame`` with each count column replaced by its published value and the key columns
    (``key_column(count)``, or the mapping's values) dropped. The same as ``publish`` column
    by column, all columns in one vectorised step (the hot path of every figure).
    """
    pairs = dict(counts) if isinstance(counts, Mapping) else {c: key_column(c) for c in counts}
    if not pairs:
        return frame
    names, keys = list(pairs), list(pairs.values())
    if protection.exact:
        return frame.with_columns(pl.col(names).cast(pl.Int64)).drop(
            [k for k in keys if k in frame.columns]
        )
    block = frame.select(
        *(pl.col(n).cast(pl.Int64).alias(f"n{i}") for i, n in enumerate(names)),
        *(pl.col(k).cast(pl.Int64).alias(f"k{i}") for i, k in enumerate(keys)),
    )
    width = len(names)
    missing = block.select(
        pl.col(f"n{i}").is_null() | pl.col(f"k{i}").is_null() for i in range(width)
    ).to_numpy()
    values = block.fill_null(0).to_numpy()
    n, k = values[:, :width], values[:, width:]
    shifted = n + deviations(n, k)
    published = [pl.Series(name, shifted[:, i], dtype=pl.Int64) for i, name in enumerate(names)]
    if missing.any():
        published = [
            column.scatter(np.flatnonzero(missing[:, i]), None) if missing[:, i].any() else column
            for i, column in enumerate(published)
        ]
    return frame.with_columns(published).drop([k for k in keys if k in frame.columns])


def withhold_small(count: int, protection: Protection) -> int | None:
    """For the few counts about persons that come without record keys (the data-quality
    checks of the Daten page, one fixed table per data version, never filtered): 1 and 2 are
    withheld (None, shown as "–"); everything else as it is. With ``exact`` the count."""
    return None if not protection.exact and 0 < count < 3 else count


def rate(
    numerator: pl.Expr | str,
    denominator: pl.Expr | str,
    protection: Protection,
    *,
    scale: float = 100.0,
) -> pl.Expr:
    """A rate (percent by default) of published parts; null where the published denominator is
    below ``protection.min_rate_base`` (or null); with ``exact`` null only where it is 0."""
    numerator = pl.col(numerator) if isinstance(numerator, str) else numerator
    denominator = pl.col(denominator) if isinstance(denominator, str) else denominator
    if protection.exact:  # exact values: any group with somebody in it
        return pl.when(denominator > 0).then(numerator / denominator * scale)
    return pl.when(denominator >= max(protection.min_rate_base, 1)).then(
        numerator / denominator * scale
    )
