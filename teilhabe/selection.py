"""The active filters in words, for captions, table exports and the PDF report (no Streamlit).

One wording for the app (``ui.filters.describe``), the files it exports and the CLI's report:
"alle Personen" without a filter, else e.g.
"Gemeinden: Giengen an der Brenz; Hemmnisse (alle zugleich): Schulden, Gesundheit".
"""

from __future__ import annotations

from collections.abc import Mapping

from teilhabe.definitions import BARRIERS, SEXES
from teilhabe.indicators import AGE_GROUPS, Filters

# The German names of the filters, as in the sidebar (ui.filters.SPECS).
FILTER_LABELS = {
    "municipalities": "Gemeinden",
    "sexes": "Geschlecht",
    "age_groups": "Altersgruppe",
    "barriers": "Hemmnisse",
}
BARRIER_MODES = {"any": "mindestens eines", "all": "alle zugleich"}
NO_FILTER = "alle Personen"


def describe_filters(filters: Filters, municipality_names: Mapping[str, str]) -> str:
    """The active filters in words; "alle Personen" if none.

    ``municipality_names`` maps AGS to name; a key without a name is shown as it is.
    """
    labels: dict[str, Mapping[str, str]] = {
        "municipalities": municipality_names,
        "sexes": SEXES,
        "age_groups": AGE_GROUPS,
        "barriers": {b.code: b.label for b in BARRIERS},
    }
    parts = []
    for name, values in (
        ("municipalities", filters.municipalities),
        ("sexes", filters.sexes),
        ("age_groups", filters.age_groups),
        ("barriers", filters.barriers),
    ):
        if values:
            label = FILTER_LABELS[name]
            if name == "barriers" and len(values) > 1:
                label += f" ({BARRIER_MODES[filters.barrier_mode]})"
            parts.append(f"{label}: {', '.join(labels[name].get(v, v) for v in values)}")
    return "; ".join(parts) if parts else NO_FILTER
