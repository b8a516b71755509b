"""The layers stay apart: the data layer knows no Streamlit, pages know no SQL."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "data_access").rglob("*.py")), ids=str)
def test_data_access_does_not_import_streamlit(path: Path) -> None:
    assert "streamlit" not in imported_modules(path)


@pytest.mark.parametrize(
    "path", [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))], ids=lambda p: p.name
)
def test_pages_do_not_import_sqlalchemy(path: Path) -> None:
    assert not {"sqlalchemy", "data_access"} & imported_modules(path)
