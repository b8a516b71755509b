"""The one settings object: read from the environment (or .streamlit/secrets.toml), validated once.

``SETTINGS_HELP`` documents every setting with its default; a test checks that the README's
configuration table names each of them.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

# Published rates need a published denominator of at least this many persons (the default).
DEFAULT_MIN_RATE_BASE = 10

# The documented secret of the synthetic demo data (never for real data: a secret known to
# everybody lets everybody compute the keys and undo the perturbation).
DEMO_SECRET = "teilhabe-monitor-demo-synthetic-data"

SETTINGS_HELP: dict[str, str] = {
    "TEILHABE_DATABASE_URL": "SQLAlchemy URL of the database (SQLite or PostgreSQL). Without it, "
    "a local SQLite file with the demo data is used.",
    "TEILHABE_DATA_DIR": "Folder for the local SQLite file and caches (default ./data).",
    "TEILHABE_CUBE_STORE": "Folder of the cube store: the prepared case copy and cube of each "
    'data version, built once by "teilhabe cube build" (and after every import) and read by '
    "every app process; local disk or a path shared by several app servers (default "
    "<data dir>/cube).",
    "TEILHABE_CELL_KEY_SECRET": "Installation secret of the cell-key method (at least 16 "
    "characters, kept like a password): every published count is perturbed with keys derived "
    "from it. Required for real data; the synthetic demo uses a documented fixed one.",
    "TEILHABE_MIN_RATE_BASE": "Smallest published denominator for which a rate is shown "
    '(default 10); smaller groups show "–".',
    "TEILHABE_MAP_STYLE": 'Base style of the maps (default "white-bg", needs no internet); '
    'a tile style such as "open-street-map" or "carto-positron" needs internet access.',
    "TEILHABE_GAP_DISTANCE_KM": "Default distance in km within which a matching service closes "
    "a coverage gap on the map (default 10; adjustable on the page).",
    "TEILHABE_ROLE_SOURCE": 'Where a logged-in person\'s role comes from: "table" (the role table '
    'managed with "teilhabe users", default) or "claim" (a claim of the ID token).',
    "TEILHABE_ROLE_CLAIM": 'The ID-token claim holding the groups or roles (default "groups"), '
    "for TEILHABE_ROLE_SOURCE=claim.",
    "TEILHABE_ROLE_MAPPING": "Groups of the claim and the role they give, e.g. "
    '"jc-teilhabe-lesen=betrachter,jc-teilhabe-daten=datenverantwortung" (secrets.toml: a '
    "[role_mapping] table).",
    "TEILHABE_ANONYMOUS_IMPORTS": 'Allow imports on the Daten page without login ("true"/"false", '
    "default false); only for a single-user local installation without [auth].",
    "TEILHABE_IMPORT_MAX_ROWS": "Most data rows one import file may have (default 1000000); a "
    "larger file is refused before it is checked.",
    "TEILHABE_IMPORT_MAX_FILE_MB": "Largest import file in MB for the command line (default 500; "
    "the Daten page's uploads are limited by server.maxUploadSize, 100 MB).",
    "TEILHABE_IMPORT_MAX_UNPACKED_MB": "Most MB the XML of an Excel workbook may unpack to "
    "(default 500); checked before the workbook is read.",
}
MAP_STYLES = (
    "white-bg",
    "open-street-map",
    "carto-positron",
    "carto-voyager",
    "carto-darkmatter",
)
DEFAULT_GAP_DISTANCE_KM = 10.0
ROLE_SOURCES = ("table", "claim")
ROLE_NAMES = ("betrachter", "datenverantwortung", "administration")  # as data_access.auth.ROLES
TRUE_TEXTS = ("1", "true", "yes", "ja", "on")
FALSE_TEXTS = ("0", "false", "no", "nein", "off", "")

# Import limits (teilhabe.exchange.tabular.Limits). 1,000,000 rows: four times the largest file of a
# big Jobcenter's monthly delivery (a year of monthly barrier records of 20,000 persons is
# 240,000 rows; persons and spells of 200,000 ELB as many), Excel's own end of a sheet
# (1,048,576 rows), and what a server with 4 GB checks safely (measured: 1,000,000 rows of
# persons take 1.9 GB at peak, 200,000 rows 0.6 GB; 2,000,000 would take about 3.7 GB).
# 500 MB: a CSV of 1,000,000 rows is about 50-150 MB; larger files have too many rows anyway.
DEFAULT_IMPORT_MAX_ROWS = 1_000_000
DEFAULT_IMPORT_MAX_FILE_MB = 500
DEFAULT_IMPORT_MAX_UNPACKED_MB = 500

SUPPORTED_DIALECTS = ("sqlite", "postgresql")
MINIMUM_SECRET_LENGTH = 16


class ConfigurationError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    database_url: URL
    data_dir: Path
    # True when no URL was configured: the app creates and fills the local demo database itself.
    uses_default_database: bool
    map_style: str = "white-bg"
    gap_distance_km: float = DEFAULT_GAP_DISTANCE_KM
    cell_key_secret: str | None = None
    min_rate_base: int = DEFAULT_MIN_RATE_BASE
    # login and roles (data_access.auth): where roles come from, and imports without login
    role_source: str = "table"
    role_claim: str = "groups"
    role_mapping: tuple[tuple[str, str], ...] = ()  # (group, role) pairs
    anonymous_imports: bool = False
    # limits of an import file (teilhabe.exchange.tabular.Limits)
    import_max_rows: int = DEFAULT_IMPORT_MAX_ROWS
    import_max_file_mb: int = DEFAULT_IMPORT_MAX_FILE_MB
    import_max_unpacked_mb: int = DEFAULT_IMPORT_MAX_UNPACKED_MB
    # where the prepared copy of each data version lives (teilhabe.cube_store); None: data_dir/cube
    cube_store_dir: Path | None = None

    def secret_for(self, *, synthetic: bool) -> str:
        """The cell-key secret for data that are (not) synthetic: the configured one, else for
        the synthetic demo data its documented fixed secret; real data without one are refused.
        """
        if self.cell_key_secret:
            return self.cell_key_secret
        if synthetic:
            return DEMO_SECRET
        raise ConfigurationError(
            "TEILHABE_CELL_KEY_SECRET fehlt: Für echte Daten braucht der Teilhabe-Monitor ein "
            f"geheimes Schlüsselwort (mindestens {MINIMUM_SECRET_LENGTH} Zeichen), mit dem jede "
            "Fallzahl geschützt wird. Setzen Sie die Umgebungsvariable TEILHABE_CELL_KEY_SECRET "
            "(oder cell_key_secret in .streamlit/secrets.toml) und bewahren Sie es wie ein "
            "Passwort auf; ändern Sie es nicht, sonst ändern sich alle gezeigten Werte."
        )

    @classmethod
    def load(
        cls,
        environ: dict[str, str] | None = None,
        secrets_file: Path | None = None,
        database_url: str | None = None,
    ) -> Settings:
        """Settings from an explicit URL, the environment or secrets.toml, in that order."""
        env = dict(os.environ if environ is None else environ)
        secrets = _read_secrets(secrets_file or Path(".streamlit") / "secrets.toml")
        data_dir = Path(env.get("TEILHABE_DATA_DIR") or "data").expanduser()

        raw_url = database_url or env.get("TEILHABE_DATABASE_URL") or secrets.get("database_url")
        uses_default = not raw_url
        url = (
            _parse_url(str(raw_url))
            if raw_url
            else URL.create("sqlite", database=str((data_dir / "teilhabe.sqlite").resolve()))
        )
        secret = env.get("TEILHABE_CELL_KEY_SECRET") or secrets.get("cell_key_secret") or None
        if secret is not None and len(str(secret)) < MINIMUM_SECRET_LENGTH:
            raise ConfigurationError(
                f"TEILHABE_CELL_KEY_SECRET ist zu kurz: mindestens {MINIMUM_SECRET_LENGTH} "
                "Zeichen, damit niemand es erraten kann."
            )
        min_rate_base = _parse_min_rate_base(
            _first_set(
                env.get("TEILHABE_MIN_RATE_BASE"),
                secrets.get("min_rate_base"),
                DEFAULT_MIN_RATE_BASE,
            )
        )
        map_style = str(env.get("TEILHABE_MAP_STYLE") or secrets.get("map_style") or "white-bg")
        if map_style not in MAP_STYLES:
            raise ConfigurationError(
                f"TEILHABE_MAP_STYLE {map_style!r} ist unbekannt; möglich: {', '.join(MAP_STYLES)}."
            )
        distance = _parse_distance(
            _first_set(
                env.get("TEILHABE_GAP_DISTANCE_KM"),
                secrets.get("gap_distance_km"),
                DEFAULT_GAP_DISTANCE_KM,
            )
        )
        role_source = str(env.get("TEILHABE_ROLE_SOURCE") or secrets.get("role_source") or "table")
        if role_source not in ROLE_SOURCES:
            raise ConfigurationError(
                f"TEILHABE_ROLE_SOURCE {role_source!r} ist unbekannt; möglich: "
                f"{', '.join(ROLE_SOURCES)}."
            )
        role_claim = str(env.get("TEILHABE_ROLE_CLAIM") or secrets.get("role_claim") or "groups")
        mapping = _parse_role_mapping(
            env.get("TEILHABE_ROLE_MAPPING") or secrets.get("role_mapping") or {}
        )
        anonymous = _parse_flag(
            "TEILHABE_ANONYMOUS_IMPORTS",
            env.get("TEILHABE_ANONYMOUS_IMPORTS", secrets.get("anonymous_imports", False)),
        )
        raw_store = env.get("TEILHABE_CUBE_STORE") or secrets.get("cube_store")
        limits = [
            _parse_limit(name, _first_set(env.get(name), secrets.get(key), default))
            for name, key, default in (
                ("TEILHABE_IMPORT_MAX_ROWS", "import_max_rows", DEFAULT_IMPORT_MAX_ROWS),
                ("TEILHABE_IMPORT_MAX_FILE_MB", "import_max_file_mb", DEFAULT_IMPORT_MAX_FILE_MB),
                (
                    "TEILHABE_IMPORT_MAX_UNPACKED_MB",
                    "import_max_unpacked_mb",
                    DEFAULT_IMPORT_MAX_UNPACKED_MB,
                ),
            )
        ]
        return cls(
            url,
            data_dir,
            uses_default,
            map_style,
            distance,
            None if secret is None else str(secret),
            min_rate_base,
            role_source,
            role_claim,
            mapping,
            anonymous,
            import_max_rows=limits[0],
            import_max_file_mb=limits[1],
            import_max_unpacked_mb=limits[2],
            cube_store_dir=Path(str(raw_store)).expanduser() if raw_store else None,
        )

    @property
    def cube_store(self) -> Path:
        """The folder of the cube store (``TEILHABE_CUBE_STORE``, else ``<data dir>/cube``)."""
        return self.cube_store_dir or self.data_dir / "cube"

    @property
    def database_label(self) -> str:
        """The database URL with any password hidden, for messages and the UI."""
        return self.database_url.render_as_string(hide_password=True)


def _first_set(*values: object) -> object:
    """The first value that is set (not None, not empty): a number 0 in secrets.toml is a value
    to check, not a missing one."""
    return next(v for v in values if v is not None and v != "")


def _read_secrets(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{path} ist keine gültige TOML-Datei: {error}") from None


def _parse_url(raw: str) -> URL:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigurationError(
            f"TEILHABE_DATABASE_URL {raw!r} ist keine gültige Datenbank-URL. Beispiele: "
            "sqlite:///data/teilhabe.sqlite oder "
            "postgresql+psycopg://benutzer@host:5432/datenbank"
        ) from None
    if url.get_backend_name() not in SUPPORTED_DIALECTS:
        raise ConfigurationError(
            f"Datenbanktyp {url.get_backend_name()!r} wird nicht unterstützt; "
            f"möglich sind: {', '.join(SUPPORTED_DIALECTS)}."
        )
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # the driver we ship
    return url


def _parse_distance(raw: object) -> float:
    try:
        value = float(str(raw).replace(",", "."))
    except ValueError:
        raise ConfigurationError(f"TEILHABE_GAP_DISTANCE_KM {raw!r} ist keine Zahl.") from None
    if not 0 < value <= 200:
        raise ConfigurationError(
            f"TEILHABE_GAP_DISTANCE_KM muss zwischen 0 und 200 km liegen, nicht {raw}."
        )
    return value


def _parse_min_rate_base(raw: object) -> int:
    try:
        value = int(str(raw))
    except ValueError:
        raise ConfigurationError(f"TEILHABE_MIN_RATE_BASE {raw!r} ist keine ganze Zahl.") from None
    if value < 3:
        raise ConfigurationError(
            f"TEILHABE_MIN_RATE_BASE muss mindestens 3 sein (Geheimhaltungsregel der Statistik "
            f"der BA), nicht {value}."
        )
    return value


def _parse_limit(name: str, raw: object) -> int:
    """A positive whole number of a limit; "2.000.000" and "2_000_000" are read too."""
    text = str(raw).strip().replace(".", "").replace("_", "")
    try:
        value = int(text)
    except ValueError:
        raise ConfigurationError(f"{name} {raw!r} ist keine ganze Zahl.") from None
    if value < 1:
        raise ConfigurationError(f"{name} muss mindestens 1 sein, nicht {value}.")
    return value


def _parse_role_mapping(raw: object) -> tuple[tuple[str, str], ...]:
    """``group=role`` pairs separated by commas (environment) or a TOML table (secrets)."""
    if isinstance(raw, dict):
        pairs = [(str(group), str(role)) for group, role in raw.items()]
    else:
        pairs = []
        for item in str(raw).split(","):
            if not item.strip():
                continue
            group, sep, role = item.rpartition("=")
            if not sep or not group.strip():
                raise ConfigurationError(
                    f"TEILHABE_ROLE_MAPPING: {item.strip()!r} ist kein Paar Gruppe=Rolle, "
                    "z. B. jc-teilhabe-daten=datenverantwortung."
                )
            pairs.append((group.strip(), role.strip()))
    for group, role in pairs:
        if role not in ROLE_NAMES:
            raise ConfigurationError(
                f"TEILHABE_ROLE_MAPPING: Rolle {role!r} für die Gruppe {group!r} ist unbekannt; "
                f"möglich: {', '.join(ROLE_NAMES)}."
            )
    return tuple(pairs)


def _parse_flag(name: str, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE_TEXTS:
        return True
    if text in FALSE_TEXTS:
        return False
    raise ConfigurationError(f"{name} {raw!r} ist weder true noch false.")
