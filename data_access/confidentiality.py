"""Statistical confidentiality, applied in the data layer beneath every figure.

The rule of the Statistik der Bundesagentur für Arbeit: counts of 1 or 2 (generally: from 1 to
threshold - 1) are not shown, nor anything from which they can be derived. A suppressed count is
null in a frame and "*" on screen and in exports; a true zero stays visible.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

SUPPRESSED = "*"
FOOTNOTE = (
    "* Aus Gründen der statistischen Geheimhaltung werden Zahlenwerte von 1 oder 2 und Daten, "
    "aus denen rechnerisch auf einen solchen Zahlenwert geschlossen werden kann, nicht angezeigt."
)


def is_disclosive(count: int | None, *, threshold: int) -> bool:
    return count is not None and 0 < count < threshold


def suppress_counts(frame: pl.DataFrame, columns: Iterable[str], *, threshold: int) -> pl.DataFrame:
    """Primary suppression: counts from 1 to threshold - 1 become null."""
    return frame.with_columns(
        pl.when(pl.col(c).is_between(1, threshold - 1)).then(None).otherwise(pl.col(c)).alias(c)
        for c in columns
    )
