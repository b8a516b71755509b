"""Shared pytest fixtures for the whole test suite.

External requirements
---------------------
Two kinds of tests need something outside the Python environment:

* ``postgres`` tests need a PostgreSQL server, named by ``TEILHABE_TEST_POSTGRES_URL``
  (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``). That database is treated
  as scratch space: its ``public`` schema is dropped and recreated once per test session.
* ``browser`` tests need Chromium, at ``TEILHABE_CHROMIUM`` (default ``/usr/bin/chromium``).

When a requirement is missing, the tests that need it are *skipped* -- unless
``TEILHABE_REQUIRE_POSTGRES=1`` / ``TEILHABE_REQUIRE_BROWSER=1`` is set (as ``.ci/run`` does),
in which case they *fail*, so CI can never pass by silently skipping them.

Tests that use the ``postgres_url`` fixture get the ``postgres`` marker automatically
(``-m "not postgres"`` deselects them); everything under ``tests/browser`` gets the
``browser`` marker (see ``tests/browser/conftest.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Repository root (the folder holding pyproject.toml and app.py).
REPO = Path(__file__).resolve().parent.parent

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_CHROMIUM = "/usr/bin/chromium"


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _required(env_var: str) -> bool:
    """True when the environment says a missing requirement is an error, not a reason to skip."""
    return os.environ.get(env_var, "").strip().lower() in {"1", "true", "yes", "on"}


def skip_or_fail(reason: str, *, require_env: str) -> None:
    """Skip the test with ``reason`` -- or fail it when ``require_env`` is set to 1."""
    if _required(require_env):
        pytest.fail(f"{reason} ({require_env}=1, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


# ---------------------------------------------------------------------------------------------
# Markers
# ---------------------------------------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Anything that needs the PostgreSQL server is a postgres test, however it gets the URL.
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


# ---------------------------------------------------------------------------------------------
# Requirement: PostgreSQL
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a reachable, freshly emptied PostgreSQL test database.

    The ``public`` schema is dropped and recreated once per session, so each session starts
    with an empty database. Tests sharing the session must clean up (or use unique names)
    themselves.
    """
    from sqlalchemy import create_engine, text

    url = os.environ.get("TEILHABE_TEST_POSTGRES_URL") or DEFAULT_TEST_POSTGRES_URL
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
    except Exception as exc:  # bad URL, missing driver, ...
        skip_or_fail(
            f"Invalid TEILHABE_TEST_POSTGRES_URL {url!r}: {exc}",
            require_env="TEILHABE_REQUIRE_POSTGRES",
        )
    label = engine.url.render_as_string(hide_password=True)
    cause = None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if cause is not None:  # outside the except block: no chained traceback in the report
        skip_or_fail(
            f"PostgreSQL not reachable at {label}: {cause}; set TEILHABE_TEST_POSTGRES_URL",
            require_env="TEILHABE_REQUIRE_POSTGRES",
        )

    # Scratch database: start every test session from an empty public schema.
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()

    yield url


# ---------------------------------------------------------------------------------------------
# Requirement: Chromium
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of the Chromium executable used by the browser tests (never a Playwright download)."""
    path = os.environ.get("TEILHABE_CHROMIUM") or DEFAULT_CHROMIUM
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        skip_or_fail(
            f"Chromium not found at {path}; install the Debian package 'chromium' "
            "or set TEILHABE_CHROMIUM",
            require_env="TEILHABE_REQUIRE_BROWSER",
        )
    return path
