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

SETTINGS_HELP: dict[str, str] = {
    "TEILHABE_DATABASE_URL": "SQLAlchemy URL of the database (SQLite or PostgreSQL). Without it, "
    "a local SQLite file with the demo data is used.",
    "TEILHABE_DATA_DIR": "Folder for the local SQLite file and caches (default ./data).",
    "TEILHABE_SUPPRESSION_THRESHOLD": "Smallest count that may be shown; smaller counts become "
    '"*" (default 3, at least 3).',
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

SUPPORTED_DIALECTS = ("sqlite", "postgresql")
MINIMUM_THRESHOLD = 3


class ConfigurationError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    database_url: URL
    data_dir: Path
    suppression_threshold: int
    # True when no URL was configured: the app creates and fills the local demo database itself.
    uses_default_database: bool
    map_style: str = "white-bg"
    gap_distance_km: float = DEFAULT_GAP_DISTANCE_KM
    # login and roles (data_access.auth): where roles come from, and imports without login
    role_source: str = "table"
    role_claim: str = "groups"
    role_mapping: tuple[tuple[str, str], ...] = ()  # (group, role) pairs
    anonymous_imports: bool = False

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
        threshold = _parse_threshold(
            env.get("TEILHABE_SUPPRESSION_THRESHOLD")
            or secrets.get("suppression_threshold")
            or MINIMUM_THRESHOLD
        )
        map_style = str(env.get("TEILHABE_MAP_STYLE") or secrets.get("map_style") or "white-bg")
        if map_style not in MAP_STYLES:
            raise ConfigurationError(
                f"TEILHABE_MAP_STYLE {map_style!r} ist unbekannt; möglich: {', '.join(MAP_STYLES)}."
            )
        distance = _parse_distance(
            env.get("TEILHABE_GAP_DISTANCE_KM")
            or secrets.get("gap_distance_km")
            or DEFAULT_GAP_DISTANCE_KM
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
        return cls(
            url,
            data_dir,
            threshold,
            uses_default,
            map_style,
            distance,
            role_source,
            role_claim,
            mapping,
            anonymous,
        )

    @property
    def database_label(self) -> str:
        """The database URL with any password hidden, for messages and the UI."""
        return self.database_url.render_as_string(hide_password=True)


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


def _parse_threshold(raw: object) -> int:
    try:
        value = int(str(raw))
    except ValueError:
        raise ConfigurationError(
            f"TEILHABE_SUPPRESSION_THRESHOLD {raw!r} ist keine ganze Zahl."
        ) from None
    if value < MINIMUM_THRESHOLD:
        raise ConfigurationError(
            f"TEILHABE_SUPPRESSION_THRESHOLD muss mindestens {MINIMUM_THRESHOLD} sein "
            f"(Geheimhaltungsregel der Statistik der BA), nicht {value}."
        )
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
