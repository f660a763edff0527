"""The version claims of ``pyproject.toml``: what the matrix (``noxfile.py``) installs is what it says."""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: pytest's own dependency
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _lower_bounds() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["redis"],
                    *project["optional-dependencies"]["beat"]]
    bounds = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)(,<[0-9.]+)?", requirement)
        assert match, f"{requirement!r}: every dependency has a lower bound (name>=X[,<Y])"
        bounds[match[1].lower()] = match[2]
    return bounds


def _lowest_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints" / "lowest.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def test_the_lowest_cell_pins_every_lower_bound_exactly() -> None:
    """Each dependency's lower bound is what ``nox -s lowest`` installs, so each bound was run."""
    pins = _lowest_pins()
    for name, bound in _lower_bounds().items():
        assert name in pins, f"constraints/lowest.txt has no pin for {name}"
        assert pins[name].split(".")[:len(bound.split("."))] == bound.split("."), (
            f"{name}: pyproject.toml says >={bound}, constraints/lowest.txt pins {pins[name]}")


#: Test dependencies of the integrations oxlog joins (tracers, error trackers): the lowest
#: cell runs their tests at their lower bounds too.
INTEGRATION_TEST_DEPENDENCIES = ("opentelemetry-sdk", "opentelemetry-instrumentation-django",
                                 "opentelemetry-instrumentation-celery", "sentry-sdk")


def test_the_lowest_cell_pins_the_integrations_test_dependencies_at_their_bounds() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bounds = dict(re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+(?:b\d+)?)", r).groups()  # type: ignore[union-attr]
                  for r in project["optional-dependencies"]["test"]
                  if r.startswith(INTEGRATION_TEST_DEPENDENCIES))
    assert set(bounds) == set(INTEGRATION_TEST_DEPENDENCIES)
    pins = _lowest_pins()
    for name, bound in bounds.items():
        assert pins.get(name, "").startswith(bound), (name, bound, pins.get(name))


def test_the_classifiers_name_the_pythons_and_djangos_the_matrix_runs() -> None:
    noxfile = (ROOT / "noxfile.py").read_text()
    classifiers = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["classifiers"]
    pythons = {c.rsplit(" :: ", 1)[1] for c in classifiers
               if c.startswith("Programming Language :: Python :: 3.")}
    djangos = {c.rsplit(" :: ", 1)[1] for c in classifiers if c.startswith("Framework :: Django :: ")}
    assert pythons == set(re.findall(r'"(3\.1\d)"', noxfile.split("PYTHONS = ", 1)[1].split("\n")[0]))
    assert djangos == set(re.findall(r'^    "(\d\.\d)": ', noxfile, re.M))
