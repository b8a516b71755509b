"""The settings object: sources, validation, documentation."""

import re
from pathlib import Path

import pytest

from data_access.settings import SETTINGS_HELP, ConfigurationError, Settings
from teilhabe.protection import DEMO_SECRET, Protection

README = Path(__file__).resolve().parents[1] / "README.md"


def test_default_is_a_local_sqlite_file_with_demo_data(tmp_path) -> None:
    settings = Settings.load(
        environ={"TEILHABE_DATA_DIR": str(tmp_path)}, secrets_file=tmp_path / "none.toml"
    )
    assert settings.uses_default_database
    assert settings.database_url.get_backend_name() == "sqlite"
    assert settings.database_url.database == str(tmp_path / "teilhabe.sqlite")
    assert settings.cell_key_secret is None
    assert settings.min_rate_base == 10
    assert Protection.configured(settings) == Protection(exact=False, min_rate_base=10)
    assert settings.secret_for(synthetic=True) == DEMO_SECRET


def test_environment_wins_over_secrets(tmp_path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('database_url = "sqlite:///from-secrets.sqlite"\n', encoding="utf-8")
    from_secrets = Settings.load(environ={}, secrets_file=secrets)
    assert from_secrets.database_url.database == "from-secrets.sqlite"
    assert not from_secrets.uses_default_database
    from_env = Settings.load(
        environ={"TEILHABE_DATABASE_URL": "postgresql://u:secret@db:5432/jc"},
        secrets_file=secrets,
    )
    assert from_env.database_url.drivername == "postgresql+psycopg"
    assert from_env.database_label == "postgresql+psycopg://u:***@db:5432/jc"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TEILHABE_MIN_RATE_BASE": "2"}, "TEILHABE_MIN_RATE_BASE muss mindestens 3"),
        ({"TEILHABE_MIN_RATE_BASE": "zehn"}, "TEILHABE_MIN_RATE_BASE 'zehn' ist keine ganze Zahl"),
        ({"TEILHABE_MIN_RATE_BASE": "7.5"}, "keine ganze Zahl"),
        ({"TEILHABE_CELL_KEY_SECRET": "kurz"}, "TEILHABE_CELL_KEY_SECRET ist zu kurz"),
        ({"TEILHABE_CELL_KEY_SECRET": "x" * 15}, "mindestens 16 Zeichen"),
        ({"TEILHABE_DATABASE_URL": "::"}, "keine gültige Datenbank-URL"),
        ({"TEILHABE_DATABASE_URL": "oracle://x@y/z"}, "nicht unterstützt"),
    ],
)
def test_invalid_settings_fail_fast_with_a_message(tmp_path, environ, message) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.load(environ=environ, secrets_file=tmp_path / "none.toml")


def test_protection_settings_from_environment_and_secrets(tmp_path) -> None:
    secret = "ein-langes-geheimes-wort"
    chosen = Settings.load(
        environ={"TEILHABE_CELL_KEY_SECRET": secret, "TEILHABE_MIN_RATE_BASE": "3"},
        secrets_file=tmp_path / "none.toml",
    )
    assert (chosen.cell_key_secret, chosen.min_rate_base) == (secret, 3)
    assert Protection.configured(chosen) == Protection(exact=False, min_rate_base=3)
    # a configured secret is used for real and for synthetic data alike
    assert chosen.secret_for(synthetic=False) == secret
    assert chosen.secret_for(synthetic=True) == secret
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'cell_key_secret = "{secret}-aus-secrets"\nmin_rate_base = 20\n', encoding="utf-8"
    )
    from_secrets = Settings.load(environ={}, secrets_file=secrets)
    assert from_secrets.cell_key_secret == f"{secret}-aus-secrets"
    assert Protection.configured(from_secrets).min_rate_base == 20
    from_env = Settings.load(environ={"TEILHABE_CELL_KEY_SECRET": secret}, secrets_file=secrets)
    assert from_env.cell_key_secret == secret
    exactly_16 = Settings.load(
        environ={"TEILHABE_CELL_KEY_SECRET": "x" * 16}, secrets_file=tmp_path / "none.toml"
    )
    assert exactly_16.cell_key_secret == "x" * 16


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("min_rate_base = 0", "TEILHABE_MIN_RATE_BASE muss mindestens 3 sein"),
        ("min_rate_base = 2", "TEILHABE_MIN_RATE_BASE muss mindestens 3 sein"),
        ('min_rate_base = "zehn"', "keine ganze Zahl"),
        ("gap_distance_km = 0", "zwischen 0 und 200 km"),
        ('cell_key_secret = "kurz"', "TEILHABE_CELL_KEY_SECRET ist zu kurz"),
    ],
)
def test_invalid_values_in_secrets_toml_are_refused(tmp_path, toml, message) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        Settings.load(environ={}, secrets_file=secrets)


def test_real_data_without_a_secret_are_refused(tmp_path) -> None:
    settings = Settings.load(environ={}, secrets_file=tmp_path / "none.toml")
    with pytest.raises(ConfigurationError, match="TEILHABE_CELL_KEY_SECRET fehlt") as refused:
        settings.secret_for(synthetic=False)
    message = str(refused.value)
    assert "Für echte Daten" in message and "mindestens 16 Zeichen" in message
    assert "Passwort" in message


def test_broken_secrets_file_is_named(tmp_path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("database_url = \n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="secrets.toml"):
        Settings.load(environ={}, secrets_file=secrets)


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    for variable in SETTINGS_HELP:
        assert f"`{variable}`" in readme, variable


def test_the_readme_configuration_table_names_only_existing_settings() -> None:
    readme = README.read_text(encoding="utf-8")
    table = re.findall(r"^\| `(TEILHABE_[A-Z_]+)` \|", readme, flags=re.MULTILINE)
    assert table, "the README has no configuration table"
    assert sorted(table) == sorted(SETTINGS_HELP)


def test_map_settings_are_validated(tmp_path) -> None:
    none = tmp_path / "none.toml"
    default = Settings.load(environ={}, secrets_file=none)
    assert (default.map_style, default.gap_distance_km) == ("white-bg", 10.0)
    chosen = Settings.load(
        environ={"TEILHABE_MAP_STYLE": "open-street-map", "TEILHABE_GAP_DISTANCE_KM": "7,5"},
        secrets_file=none,
    )
    assert (chosen.map_style, chosen.gap_distance_km) == ("open-street-map", 7.5)
    with pytest.raises(ConfigurationError, match="TEILHABE_MAP_STYLE 'mapbox-streets'"):
        Settings.load(environ={"TEILHABE_MAP_STYLE": "mapbox-streets"}, secrets_file=none)
    with pytest.raises(ConfigurationError, match="zwischen 0 und 200 km"):
        Settings.load(environ={"TEILHABE_GAP_DISTANCE_KM": "0"}, secrets_file=none)
