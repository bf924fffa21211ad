"""The folders are the architecture: what each layer of the package may import.

Imports only go down: cli -> http -> application / views -> projections -> domain, storage
(ARCHITECTURE.md draws it). The rules are read from the code's own import statements, every
module of the package, including imports made inside functions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "orderledger"

# Each layer and the layers of the package it may import (itself always).
MAY_IMPORT: dict[str, set[str]] = {
    "domain": set(),
    "storage": {"domain"},
    "upstream": {"domain"},
    "projections": {"domain", "storage"},
    "views": {"domain", "storage", "projections"},
    "application": {"domain", "storage", "projections", "views", "upstream"},
    "bootstrap": {"domain", "storage", "projections", "views", "application", "upstream"},
    "http": {"domain", "storage", "projections", "views", "application", "bootstrap", "upstream"},
    "bench": {
        "domain",
        "storage",
        "projections",
        "views",
        "application",
        "bootstrap",
        "http",
        "upstream",
    },
    "cli": {
        "domain",
        "upstream",
        "storage",
        "projections",
        "views",
        "application",
        "bootstrap",
        "http",
        "bench",
    },
}

# Third-party packages that belong to one side of the house only.
DRIVERS = {"psycopg", "psycopg_pool", "sqlite3"}
WEB = {"litestar", "uvicorn", "h11", "starlette"}
FORBIDDEN_LIBRARIES: dict[str, set[str]] = {
    "domain": DRIVERS | WEB,
    "storage": WEB,
    "upstream": DRIVERS | WEB,
    "projections": WEB,
    "views": WEB,
    "application": WEB,
    "http": DRIVERS,
}


def layer_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_modules(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if layer_of(p) in MAY_IMPORT)


def test_every_module_of_the_package_belongs_to_a_known_layer() -> None:
    unknown = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py" or p.parent != PACKAGE
        if layer_of(p) not in MAY_IMPORT
    }
    assert not unknown


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_the_layers_below_its_own(path: Path) -> None:
    layer = layer_of(path)
    allowed = MAY_IMPORT[layer] | {layer}
    wrong = []
    for module in imported_modules(path):
        parts = module.split(".")
        if parts[0] == "orderledger" and len(parts) > 1 and parts[1] not in allowed:
            wrong.append(module)
        if parts[0] in FORBIDDEN_LIBRARIES.get(layer, set()):
            wrong.append(module)
    assert not wrong, f"{layer} may not import {sorted(set(wrong))}"
