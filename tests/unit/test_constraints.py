"""Every install gets the tested versions: constraints.txt pins every dependency, and the
environment the tests run in was installed from it (scripts/lock remakes it)."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]


def pins() -> dict[str, str]:
    """constraints.txt as {canonical name: version}."""
    pinned = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, pinned_version = line.partition("==")
            assert pinned_version, f"not pinned with ==: {line}"
            pinned[canonicalize_name(name)] = pinned_version
    return pinned


def declared_requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    texts = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        texts += extra
    return [Requirement(text) for text in texts]


def test_every_dependency_in_pyproject_is_pinned_within_what_pyproject_allows() -> None:
    pinned = pins()
    requirements = declared_requirements()
    assert requirements
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not in constraints.txt: run scripts/lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"constraints.txt pins {name}=={pinned[name]}, outside {requirement}: run scripts/lock"
        )


def test_the_project_itself_is_not_pinned() -> None:
    assert "orderledger" not in pins()


def test_the_installed_versions_are_the_pinned_ones() -> None:
    wrong = {}
    for name, pinned_version in pins().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = "missing"
        if installed != pinned_version:
            wrong[name] = (pinned_version, installed)
    assert wrong == {}, "(pinned, installed); scripts/_venv.sh installs from constraints.txt"
