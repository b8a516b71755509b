"""Who is counted: the one selection of the global filters, and the filters in words.

``Filters`` (Länder, Jobcenters, municipalities, sexes, age groups, barriers with "any"/"all")
selects, in each month, the people with those characteristics in that month. The area filters
work on the municipality's AGS alone: its first two digits are the Land, its first five the Kreis
of the Jobcenter (the import checks that a municipality's AGS starts with its district's key), so
the cube needs no district column and a Land or Jobcenter is the set of its municipalities. One
implementation serves every kind of row the app counts (no Streamlit):

- cube rows (``cube_rows``): the cells of the monthly cube (``teilhabe.cube``); for sums by
  month and a breakdown (``summable_rows``) the smallest of the cube's rollups that can answer
  them (``rollup_for``), else the cells;
- referral rows (``referral_rows``): referrals with the person's characteristics at their start;
- persons (``persons``): the people in receipt in a month, with their characteristics then;
- services of the provider directory (``directory_rows``: search text, category, barrier, area).

All three client selections apply the same conditions (``conditions``) to rows that carry the
columns municipality, sex, age_group and barrier_mask; a property test checks that they agree.
``describe_filters`` words the active filters for captions, exports and the PDF report:
"alle Personen" without a filter, else e.g.
"Gemeinden: Giengen an der Brenz; Hemmnisse (alle zugleich): Schulden, Gesundheit";
``describe_unit`` names the chosen Jobcenter(s) or Land for headlines.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import polars as pl

from teilhabe.definitions import (
    AGE_GROUPS,
    BARRIER_BITS,
    BARRIERS,
    DISTRICT_DIGITS,
    LAND_DIGITS,
    SEXES,
    age_group_codes,
    land_name,
)
from teilhabe.protection import KEY_RANGE
from teilhabe.rollups import BARRIER_COLUMNS, ROLLUP_KEYS, ROLLUPS

if TYPE_CHECKING:
    from teilhabe.cases import Cases


@dataclass(frozen=True)
class Filters:
    """Who is counted: empty tuples mean everybody."""

    municipalities: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    age_groups: tuple[str, ...] = ()
    barriers: tuple[str, ...] = ()
    barrier_mode: Literal["any", "all"] = "any"
    lands: tuple[str, ...] = ()  # two-digit Land codes
    jobcenters: tuple[str, ...] = ()  # five-digit district keys (one Jobcenter each)

    def unit(self) -> Filters:
        """Only the chosen Länder and Jobcenters: the unit a map or headline is about."""
        return Filters(lands=self.lands, jobcenters=self.jobcenters)

    @property
    def has_area(self) -> bool:
        """Whether the filters narrow the places (Land, Jobcenter or municipality)."""
        return bool(self.lands or self.jobcenters or self.municipalities)


# --- The conditions --------------------------------------------------------------------------


def in_area(filters: Filters, ags: str) -> bool:
    """Whether the municipality ``ags`` lies in the chosen Länder, Jobcenters and municipalities
    (each empty choice: all)."""
    return (
        (not filters.lands or ags[:LAND_DIGITS] in filters.lands)
        and (not filters.jobcenters or ags[:DISTRICT_DIGITS] in filters.jobcenters)
        and (not filters.municipalities or ags in filters.municipalities)
    )


def area_expr(filters: Filters, ags: pl.Expr) -> pl.Expr | None:
    """The area condition on a String expression of AGS; None without an area filter."""
    found = []
    if filters.lands:
        found.append(ags.str.slice(0, LAND_DIGITS).is_in(list(filters.lands)))
    if filters.jobcenters:
        found.append(ags.str.slice(0, DISTRICT_DIGITS).is_in(list(filters.jobcenters)))
    if filters.municipalities:
        found.append(ags.is_in(list(filters.municipalities)))
    return pl.all_horizontal(found) if found else None


def area_condition(filters: Filters, dtype: pl.DataType) -> pl.Expr | None:
    """The area condition on the column ``municipality`` of type ``dtype``: on an Enum the set of
    its categories in the area (cheap on the cube's millions of rows), else on the text."""
    if not filters.has_area:
        return None
    if isinstance(dtype, pl.Enum):
        allowed = [ags for ags in dtype.categories.to_list() if in_area(filters, ags)]
        return pl.col("municipality").is_in(allowed) if allowed else pl.lit(False)
    column = pl.col("municipality")
    return area_expr(filters, column if dtype == pl.String else column.cast(pl.String))


def characteristic_conditions(filters: Filters, schema: pl.Schema) -> list[pl.Expr]:
    """Conditions on the area (``area_condition``), sex and age_group (Enum or String columns of
    ``schema``); a value the column cannot hold matches nobody."""
    conditions = []
    area = area_condition(filters, schema["municipality"])
    if area is not None:
        conditions.append(area)
    for column, values in (
        ("sex", filters.sexes),
        ("age_group", filters.age_groups),
    ):
        if not values:
            continue
        dtype = schema[column]
        if isinstance(dtype, pl.Enum):
            categories = set(dtype.categories.to_list())
            allowed = [v for v in values if v in categories]
            conditions.append(pl.col(column).is_in(allowed) if allowed else pl.lit(False))
        else:
            conditions.append(pl.col(column).is_in(list(values)))
    return conditions


def barrier_condition(barriers: Sequence[str], mode: str) -> pl.Expr:
    """Rows whose ``barrier_mask`` has any (``mode`` "any") or all of ``barriers``; an unknown
    code matches nobody."""
    unknown = [b for b in barriers if b not in BARRIER_BITS]
    bits = 0
    for code in set(barriers) - set(unknown):
        bits |= BARRIER_BITS[code]
    if mode == "all":
        return pl.lit(False) if unknown else (pl.col("barrier_mask") & bits) == bits
    return (pl.col("barrier_mask") & bits) != 0 if bits else pl.lit(False)


def has_barrier(code: str) -> pl.Expr:
    """Rows whose ``barrier_mask`` includes the barrier ``code``."""
    return (pl.col("barrier_mask") & BARRIER_BITS[code]) != 0


def conditions(filters: Filters, schema: pl.Schema, *, barriers: bool = True) -> list[pl.Expr]:
    """Every condition of ``filters`` on rows with the columns municipality, sex, age_group
    (and barrier_mask, unless ``barriers`` is False)."""
    found = characteristic_conditions(filters, schema)
    if barriers and filters.barriers:
        found.append(barrier_condition(filters.barriers, filters.barrier_mode))
    return found


def months(frame: pl.DataFrame, first: int, last: int) -> pl.DataFrame:
    """The rows of months ``first`` .. ``last`` of a frame sorted by month."""
    column = frame["month"]
    start = column.search_sorted(first, side="left")
    end = column.search_sorted(last, side="right")
    return frame.slice(start, end - start)


def _filtered(frame: pl.DataFrame, found: list[pl.Expr]) -> pl.DataFrame:
    return frame.filter(*found) if found else frame


# --- Cube rows, referral rows, persons -------------------------------------------------------


def cube_rows(
    cells: pl.DataFrame,
    plain: pl.DataFrame,
    filters: Filters,
    first: int,
    last: int,
    *,
    keep_mask: bool = False,
) -> pl.DataFrame:
    """The cube rows of months ``first`` .. ``last`` that belong to the filtered group (several
    rows may share a cell; the figures are sums). With ``keep_mask`` the rows keep their
    ``barrier_mask`` (from ``cells``), for questions about single barriers."""
    if keep_mask:
        frame = months(cells, first, last)
        return _filtered(frame, conditions(filters, frame.schema))
    cube = (
        barrier_group(cells, filters.barriers, filters.barrier_mode) if filters.barriers else plain
    )
    frame = months(cube, first, last)
    return _filtered(frame, conditions(filters, frame.schema, barriers=False))


def rollup_for(filters: Filters, keys: Sequence[str]) -> str | None:
    """The smallest rollup of the cube (``cube.ROLLUPS``) whose rows summed by month and ``keys``
    (cube columns) give the sums of the filtered group exactly, or None if only the cells can.

    A rollup can answer if it groups by every key and every filtered column (a Land, Jobcenter
    or municipality filter needs the municipality); a barrier filter needs one known barrier
    code ("any" and "all" of one code are the same) or two known codes with "all" (a pair
    rollup). "Any" of two codes is answered by inclusion and exclusion (``rollup_terms``): the
    rows of either code minus those of both; then the pair rollup is named. Other barrier
    filters need the mask of the cells.
    """
    terms = rollup_terms(filters, keys)
    return None if terms is None else terms[-1][0]


# A rollup's rows in a sum: its name, the barrier codes they are filtered on, and whether they
# are subtracted.
Term = tuple[str, tuple[str, ...], bool]


def rollup_terms(filters: Filters, keys: Sequence[str]) -> list[Term] | None:
    """The rollup rows whose sum (the subtracted ones negated) is the sum of the filtered group:
    one rollup, or for "any" of two codes A and B the rows of A, of B and, subtracted, of both;
    None if only the cells can answer (an unknown code, more than two)."""
    chosen = set(filters.barriers)
    if not chosen <= set(BARRIER_BITS) or len(chosen) > len(BARRIER_COLUMNS):
        return None
    codes = tuple(code for code in BARRIER_BITS if code in chosen)  # the catalogue's order
    if len(codes) > 1 and filters.barrier_mode == "any":
        single, pair = _smallest_rollup(filters, keys, 1), _smallest_rollup(filters, keys, 2)
        if single is None or pair is None:
            return None
        return [(single, codes[:1], False), (single, codes[1:], False), (pair, codes, True)]
    name = _smallest_rollup(filters, keys, len(codes))
    return None if name is None else [(name, codes, False)]


def _smallest_rollup(filters: Filters, keys: Sequence[str], barriers: int) -> str | None:
    """The smallest rollup with ``barriers`` barrier columns that groups by every key and every
    filtered column."""
    needed = set(keys) | set(BARRIER_COLUMNS[:barriers])
    for column, chosen in (
        ("municipality", filters.has_area),
        ("sex", filters.sexes),
        ("age_group", filters.age_groups),
    ):
        if chosen:
            needed.add(column)
    able = [
        name
        for name, columns in ROLLUPS.items()
        if needed <= set(columns) and sum(c in BARRIER_COLUMNS for c in columns) == barriers
    ]
    # the municipality makes a rollup large, each further column multiplies its rows
    return min(
        able, key=lambda name: ("municipality" in ROLLUPS[name], len(ROLLUPS[name])), default=None
    )


def from_rollups(filters: Filters, keys: Sequence[str] = ()) -> bool:
    """Whether ``summable_rows`` answers from the rollups (else from the cube rows)."""
    return rollup_for(filters, keys) is not None and rollup_terms(filters, keys) is not None


def summable_rows(  # noqa: PLR0913 - the cube's three frames and the question
    cells: pl.DataFrame,
    plain: pl.DataFrame,
    rollups: pl.DataFrame,
    filters: Filters,
    first: int,
    last: int,
    keys: Sequence[str] = (),
) -> pl.DataFrame:
    """Rows of months ``first`` .. ``last`` whose measures, summed by month and ``keys`` (cube
    columns) as UInt32 (wrapping modulo 2^32), are the sums of the filtered group: of the
    rollups ``rollup_terms`` names (subtracted rows carry their measures negated modulo 2^32,
    so that the wrapping sums subtract them), else the cube rows (``cube_rows``). Only the
    month, ``keys`` and the measures are meant to be read."""
    if not from_rollups(filters, keys):
        return cube_rows(cells, plain, filters, first, last)
    terms = rollup_terms(filters, keys)
    assert terms is not None
    found = []
    for name, codes, subtracted in terms:
        part = _rollup(rollups, name)
        start, end = np.searchsorted(part.months, (first, last + 1))  # the months, sorted
        frame = part.frame.slice(int(start), int(end - start))
        conditions_ = conditions(filters, part.schema, barriers=False)
        conditions_.extend(
            pl.col(c) == code for c, code in zip(BARRIER_COLUMNS, codes, strict=False)
        )
        frame = _filtered(frame, conditions_)
        if subtracted:  # -x modulo 2^32: added as UInt32, it subtracts x
            frame = frame.with_columns(
                ((KEY_RANGE - pl.col(m).cast(pl.Int64)) % KEY_RANGE).cast(pl.UInt32).alias(m)
                for m in frame.columns
                if m not in ROLLUP_KEYS
            )
        found.append(frame)
    return found[0] if len(found) == 1 else pl.concat(found)


@dataclass(frozen=True)
class _Part:
    """One rollup of a stacked rollup frame: its rows, sorted by month, their months (to find
    a range of months by binary search) and the schema (read once)."""

    frame: pl.DataFrame
    months: np.ndarray
    schema: pl.Schema


# Each rollup of the last rollup frames on its own (sorted by month): slicing the months of one
# rollup reads only its rows, not those of the larger rollups stacked with it.
_ROLLUP_PARTS: OrderedDict[int, tuple[pl.DataFrame, dict[str, _Part]]] = OrderedDict()
_ROLLUP_PARTS_KEPT = 4  # stocks and flows of the current data version and the one before
_ROLLUP_PARTS_LOCK = threading.Lock()


def _rollup(rollups: pl.DataFrame, name: str) -> _Part:
    """The rows of the rollup ``name`` of a stacked rollup frame, sorted by month."""
    with _ROLLUP_PARTS_LOCK:
        kept = _ROLLUP_PARTS.get(id(rollups))
        if kept is not None and kept[0] is rollups:
            _ROLLUP_PARTS.move_to_end(id(rollups))
            parts = kept[1]
        else:
            parts = {
                name: _Part(part, part["month"].to_numpy(), part.schema)
                for name, part in _split_rollups(rollups).items()
            }
            _ROLLUP_PARTS[id(rollups)] = (rollups, parts)  # holding it keeps its id unique
            while len(_ROLLUP_PARTS) > _ROLLUP_PARTS_KEPT:
                _ROLLUP_PARTS.popitem(last=False)
    if name in parts:
        return parts[name]
    empty = rollups.clear()
    return _Part(empty, empty["month"].to_numpy(), empty.schema)


def _split_rollups(rollups: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The rollups of a stacked frame by name, in their order: slices (no copy) of a frame
    sorted by rollup (as ``cube_store`` reads it), else copies."""
    codes = rollups["rollup"].to_physical()
    if codes.null_count() or not codes.is_sorted():
        split = rollups.partition_by("rollup", as_dict=True, maintain_order=True)
        return {str(key[0]): part for key, part in split.items()}
    runs = codes.rle().struct.unnest()  # the length and code of each run
    lengths = runs["len"].to_numpy()
    starts = np.cumsum(lengths) - lengths
    names = rollups["rollup"].gather(starts.tolist()).to_list()
    return {
        str(name): rollups.slice(int(start), int(length))
        for name, start, length in zip(names, starts, lengths, strict=True)
    }


def referral_rows(cases: Cases, filters: Filters, first: int, last: int) -> pl.DataFrame:
    """Referrals that started in months ``first`` .. ``last`` by people in the filtered group
    (characteristics in the month of the start)."""
    frame = months(cases.referral_rows, first, last)
    return _filtered(frame, conditions(filters, frame.schema))


def persons(
    cases: Cases, filters: Filters, month: int, among: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The people in receipt in ``month`` in the filtered group, with their characteristics
    then: client, municipality, sex, age_group, barrier_mask. ``among`` (column client) limits
    them to those clients first (cheap for a few)."""
    spells, barriers = cases.spells, cases.barriers
    if among is not None:
        spells = spells.join(among, on="client", how="semi")
        barriers = barriers.join(among, on="client", how="semi")
    in_receipt = (
        spells.filter(pl.col("start_month") <= month, pl.col("end_month") >= month)
        .select("client")
        .unique()
    )
    masks = (
        barriers.filter(
            pl.col("first_month") <= month,
            pl.col("last_month") >= month,
            pl.col("barrier_code").is_in(list(BARRIER_BITS)),
        )
        .unique(["client", "barrier_code"])
        .group_by("client")
        .agg(
            pl.col("barrier_code")
            .replace_strict(BARRIER_BITS, return_dtype=pl.Int32)
            .sum()
            .cast(pl.Int16)
            .alias("barrier_mask")
        )
    )
    age = pl.lit(month // 12, dtype=pl.Int32) - pl.col("birth_year")
    people = (
        in_receipt.join(cases.clients, on="client")
        .join(masks, on="client", how="left")
        .select(
            "client",
            pl.col("municipality_ags").alias("municipality"),
            "sex",
            age_group_codes(age).alias("age_group"),
            pl.col("barrier_mask").fill_null(0),
        )
        .sort("client")
    )
    return _filtered(people, conditions(filters, people.schema))


# The cells of a barrier group for the last few barrier filters: the pages
# ask several questions of one group after a filter change, and the mask cube is the big one.
_BARRIER_GROUPS: OrderedDict[tuple, tuple[pl.DataFrame, pl.DataFrame]] = OrderedDict()
_BARRIER_GROUPS_KEPT = 8
_BARRIER_GROUPS_LOCK = threading.Lock()


def barrier_group(cells: pl.DataFrame, barriers: tuple[str, ...], mode: str) -> pl.DataFrame:
    """The cells of the people with any (``mode`` "any") or all of ``barriers`` in the month,
    with the columns of ``plain``, sorted by month. Unknown codes match nobody."""
    key = (id(cells), frozenset(barriers), mode)
    with _BARRIER_GROUPS_LOCK:
        kept = _BARRIER_GROUPS.get(key)
        if kept is not None and kept[0] is cells:
            _BARRIER_GROUPS.move_to_end(key)
            return kept[1]
    condition = barrier_condition(barriers, mode)
    # no summing over the mask here (it would cost more than it saves): rows of the same cell
    # with different masks simply add up in the group-bys that follow
    group = cells.filter(condition).drop("barrier_mask")
    with _BARRIER_GROUPS_LOCK:
        _BARRIER_GROUPS[key] = (cells, group)  # holding ``cells`` keeps its id unique
        while len(_BARRIER_GROUPS) > _BARRIER_GROUPS_KEPT:
            _BARRIER_GROUPS.popitem(last=False)
    return group


# --- The provider directory ------------------------------------------------------------------


def directory_rows(
    directory: pl.DataFrame,
    *,
    text: str = "",
    categories: Sequence[str] = (),
    barriers: Sequence[str] = (),
    places: Sequence[str] = (),
    within: Filters | None = None,
) -> pl.DataFrame:
    """The services of the directory (``directory.provider_directory``) found by the search
    ``text`` (in provider, service, category, city; case-insensitive), in ``categories``,
    addressing any of ``barriers``, serving or located in any of ``places`` (AGS), and serving or
    located in the area of ``within`` (its Länder, Jobcenters and municipalities)."""
    found = []
    needle = text.strip().lower()
    if needle:
        found.append(
            pl.concat_str(
                ["provider", "service", "category", "city"], separator=" ", ignore_nulls=True
            )
            .str.to_lowercase()
            .str.contains(needle, literal=True)
        )
    if categories:
        found.append(pl.col("category_code").is_in(list(categories)))
    if barriers:
        found.append(pl.col("barriers").list.eval(pl.element().is_in(list(barriers))).list.any())
    if places:
        found.append(
            pl.col("areas").list.eval(pl.element().is_in(list(places))).list.any()
            | pl.col("municipality_ags").is_in(list(places))
        )
    if within is not None and within.has_area:
        served = area_expr(within, pl.element())
        located = area_expr(within, pl.col("municipality_ags"))
        assert served is not None and located is not None
        found.append(pl.col("areas").list.eval(served).list.any() | located.fill_null(False))
    return _filtered(directory, found)


# --- In words --------------------------------------------------------------------------------

# The German names of the filters, as in the sidebar (ui.filters.SPECS).
FILTER_LABELS = {
    "lands": "Land",
    "jobcenters": "Jobcenter",
    "municipalities": "Gemeinden",
    "sexes": "Geschlecht",
    "age_groups": "Altersgruppe",
    "barriers": "Hemmnisse",
}
BARRIER_MODES = {"any": "mindestens eines", "all": "alle zugleich"}
NO_FILTER = "alle Personen"


def describe_filters(
    filters: Filters,
    municipality_names: Mapping[str, str],
    jobcenter_names: Mapping[str, str] | None = None,
) -> str:
    """The active filters in words; "alle Personen" if none.

    ``municipality_names`` maps AGS to name, ``jobcenter_names`` district key to the Jobcenter's
    name; a key without a name is shown as it is.
    """
    labels: dict[str, Mapping[str, str]] = {
        "lands": {code: land_name(code) for code in filters.lands},
        "jobcenters": jobcenter_names or {},
        "municipalities": municipality_names,
        "sexes": SEXES,
        "age_groups": AGE_GROUPS,
        "barriers": {b.code: b.label for b in BARRIERS},
    }
    parts = []
    for name, values in (
        ("lands", filters.lands),
        ("jobcenters", filters.jobcenters),
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


def describe_unit(filters: Filters, jobcenter_names: Mapping[str, str]) -> str:
    """The unit the figures are about, for headlines and report titles.

    ``jobcenter_names`` maps the district key of every Jobcenter in the data to its name. One
    Jobcenter (chosen, or the only one in the data): its name, e.g. "Jobcenter Landkreis
    Heidenheim"; several: their number and Land, e.g. "3 Jobcenter in Baden-Württemberg" (or
    "in 2 Ländern"). Chosen municipalities narrow it to their Jobcenters (the filter text names
    the municipalities).
    """
    municipality_districts = {ags[:DISTRICT_DIGITS] for ags in filters.municipalities}
    keys = [
        key
        for key in reached_jobcenters(filters, jobcenter_names)
        if not municipality_districts or key in municipality_districts
    ]
    if len(keys) == 1:
        return jobcenter_names[keys[0]]
    if not keys:
        return "kein Jobcenter"
    lands = sorted({key[:LAND_DIGITS] for key in keys})
    if len(lands) > 1:
        where = f"in {len(lands)} Ländern"
    else:  # "im Saarland", "in Bayern"
        where = f"{'im' if lands[0] == '10' else 'in'} {land_name(lands[0])}"
    return f"{len(keys)} Jobcenter {where}"


# --- Places at the chosen level --------------------------------------------------------------

# Breakdowns by place, coarse to fine, with their German names.
PLACE_LEVELS = {"land": "Land", "jobcenter": "Jobcenter", "municipality": "Gemeinde"}
# Up to this many Jobcenters a table by place shows them, else the Länder.
MAX_JOBCENTER_ROWS = 50


def reached_jobcenters(filters: Filters, jobcenters: Mapping[str, str]) -> list[str]:
    """The Jobcenters (district keys of ``jobcenters``) in the chosen Länder and Jobcenters."""
    return [
        key
        for key in jobcenters
        if (not filters.lands or key[:LAND_DIGITS] in filters.lands)
        and (not filters.jobcenters or key in filters.jobcenters)
    ]


def place_levels(filters: Filters, jobcenters: Mapping[str, str]) -> list[str]:
    """The breakdowns by place at the chosen level, coarse to fine: "land" with more than one
    Land in the choice, "jobcenter" with more than one Jobcenter, "municipality" once the choice
    comes down to Jobcenters (one in the data or the chosen Land, or Jobcenters chosen), never
    every municipality of the country."""
    reached = reached_jobcenters(filters, jobcenters)
    levels = []
    if len({key[:LAND_DIGITS] for key in reached}) > 1:
        levels.append("land")
    if len(reached) > 1:
        levels.append("jobcenter")
    if len(jobcenters) < 2 or filters.jobcenters or len(reached) == 1:  # noqa: PLR2004
        levels.append("municipality")
    return levels


def place_level(filters: Filters, jobcenters: Mapping[str, str]) -> str:
    """The one breakdown by place for a table of the chosen unit: its municipalities, else its
    Jobcenters (up to ``MAX_JOBCENTER_ROWS``), else its Länder."""
    if "municipality" in place_levels(filters, jobcenters):
        return "municipality"
    if len(reached_jobcenters(filters, jobcenters)) <= MAX_JOBCENTER_ROWS:
        return "jobcenter"
    return "land"
