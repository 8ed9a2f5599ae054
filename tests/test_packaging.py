"""The package's metadata says what is true: its licence, its links and what it depends on.

The built artifacts themselves (sdist and wheel, ``twine check``, a wheel installed outside the
checkout) are checked by ``.ci/release-check``.
"""

import ast
import sys
import tomllib
from importlib.metadata import distribution, packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
SRC = ROOT / "src"
TESTING = SRC / "atlassian_connect_kit" / "testing"

# Runtime dependencies no module imports, each with the reason it is still needed.
NOT_IMPORTED = {
    "pyramid-chameleon": "included by name (config.include) as the .pt template renderer",
    "waitress": "the server of development.ini and production.ini (egg:waitress#main)",
    "setuptools": "provides pkg_resources, which Pyramid imports",
}


def _names(requirements):
    return {canonicalize_name(Requirement(text).name) for text in requirements}


def _providers_of(module, providers):
    """The distributions providing ``module``; for a namespace package, only the one holding it."""
    candidates = providers[module.split(".")[0]]
    if len(candidates) == 1:
        return candidates
    relative = module.replace(".", "/")
    holding = [
        name
        for name in candidates
        if any(
            str(file).startswith((relative + "/", relative + ".py"))
            for file in distribution(name).files or ()
        )
    ]
    return holding or candidates


def _imported_distributions(files):
    """Distributions providing the third-party modules ``files`` import at run time."""
    providers = packages_distributions()
    found = set()
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        type_checking_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING"
            for node in ast.walk(block)
        }
        for node in ast.walk(tree):
            if id(node) in type_checking_only:
                continue
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in {
                    "atlassian_connect_kit",
                    "smart_timesheet_plugin",
                }:
                    continue
                assert top in providers, f"{path}: {top} is imported but not installed"
                found.update(canonicalize_name(name) for name in _providers_of(module, providers))
    return found


def test_the_licence_is_the_full_apache_2_text_and_ships_in_the_artifacts():
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License")
    assert "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]


def test_every_project_url_lives_in_the_repository_named_by_source():
    urls = PROJECT["urls"]
    assert urls["Source"].startswith("https://")
    for name, url in urls.items():
        assert url.startswith(urls["Source"]), name


def test_the_classifiers_name_every_supported_python():
    classifiers = PROJECT["classifiers"]
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert "Framework :: Pyramid" in classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    assert PROJECT["requires-python"] == ">=3.11"


def test_every_runtime_dependency_is_imported_or_needed_for_a_stated_reason():
    declared = _names(PROJECT["dependencies"])
    imported = _imported_distributions(
        path for path in SRC.rglob("*.py") if TESTING not in path.parents
    )
    assert declared - imported == set(NOT_IMPORTED)


# Extras whose modules the kit imports only when a setting or command asks for them (drivers,
# Azure, copier for `ack new`).
OPTIONAL_RUNTIME_EXTRAS = ("mssql", "postgres", "mysql", "azure", "scaffold")


def test_every_imported_distribution_is_declared():
    extras = PROJECT["optional-dependencies"]
    declared = _names(PROJECT["dependencies"]).union(
        *(_names(extras[name]) for name in OPTIONAL_RUNTIME_EXTRAS)
    )
    kit_and_plugin = _imported_distributions(
        path for path in SRC.rglob("*.py") if TESTING not in path.parents
    )
    assert kit_and_plugin <= declared


def test_the_testing_extra_is_exactly_what_the_fixtures_import_beyond_the_kit():
    """Add-on authors install ``[testing]``: pytest and nothing the fixtures do not need."""
    needed = _imported_distributions(TESTING.rglob("*.py")) - _names(PROJECT["dependencies"])
    assert needed == _names(PROJECT["optional-dependencies"]["testing"]) == {"pytest"}


@pytest.mark.parametrize(
    ("distribution", "floor"),
    [
        ("cryptography", "44.0.1"),
        ("requests", "2.32.4"),
        ("urllib3", "2.6.3"),
        ("waitress", "3.0.1"),
        ("pyramid", "2.0.2"),
        ("setuptools", "78.1.1"),
    ],
)
def test_dependency_floors_exclude_releases_with_known_vulnerabilities(distribution, floor):
    requirements = {
        canonicalize_name(Requirement(text).name): Requirement(text)
        for text in PROJECT["dependencies"]
    }
    specifier = requirements[distribution].specifier
    release, patch = floor.rsplit(".", 1)
    assert floor in specifier
    assert f"{release}.{int(patch) - 1}" not in specifier


def test_the_build_requires_a_hatchling_writing_metadata_2_4():
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    assert build["requires"] == ["hatchling>=1.27"]
