"""What an import of a table will write (``_Plan``): rows to insert, updates grouped by the
columns they change, the values of link tables, and the counts the report gives."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class _Plan:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    inserts: list[dict[str, object]] = field(default_factory=list)
    updates: dict[tuple[str, ...], list[dict[str, object]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # changed columns -> rows (with the primary key under "k_<column>")
    links: dict[str, dict[tuple, list[str]]] = field(
        default_factory=dict
    )  # column -> key -> values
