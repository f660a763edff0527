"""The version matrix: the whole test suite on every Python and Django oxlog claims.

One cell, one command (a fresh virtualenv each time, made with uv when it is installed)::

    .venv/bin/nox -s "tests(python='3.13', django='6.0')"  # one Python x one Django, newest of the rest
    .venv/bin/nox -s lowest                        # every dependency at its lowest allowed version
    .venv/bin/nox -t ci                            # the cells CI runs (every Python, every Django, lowest)
    .venv/bin/nox -l                               # list them all

Extra arguments go to pytest: ``nox -s lowest -- -x tests/test_records.py``.

The Pythons come from pyenv when it is there (``pyenv versions``): their ``bin``
folders are put on ``PATH`` so that nox finds ``python3.10`` … ``python3.13``
without a ``pyenv global`` line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["tests", "lowest"]

ROOT = Path(__file__).parent
LOWEST = ROOT / "constraints" / "lowest.txt"
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
#: Each Django major oxlog claims, with the Pythons it can be installed on: those
#: Django supports, narrowed by django-guid's metadata (3.6.1 requires Django < 6.0
#: below Python 3.13 and Django >= 5.1 from 3.13 on), so Django 6.0 runs on 3.13 only.
DJANGO_PYTHONS = {
    "4.2": ("3.10", "3.11", "3.12"),
    "5.2": ("3.10", "3.11", "3.12", "3.13"),
    "6.0": ("3.13",),
}
#: What CI runs: with the lowest cell (3.10) and ``make test`` (3.11, Django 5.2,
#: newest of everything), every Python and every Django major at least once.
CI_CELLS = {("3.10", "4.2"), ("3.12", "5.2"), ("3.13", "6.0")}


def _pyenv_on_path() -> None:
    """Put each pyenv-installed CPython 3.10-3.13 on ``PATH`` (nox looks for ``python3.X``)."""
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return
    root = Path(subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip())
    folders = []
    for version in sorted((root / "versions").glob("3.*")):
        if re.fullmatch(r"3\.1[0-3]\.\d+", version.name):
            folders.append(str(version / "bin"))
    os.environ["PATH"] = os.pathsep.join([*folders, os.environ.get("PATH", "")])


_pyenv_on_path()

CELLS = [
    nox.param(python, django, tags=["ci"] if (python, django) in CI_CELLS else [])
    for django, pythons in DJANGO_PYTHONS.items()
    for python in pythons
]
#: The packages whose versions the matrix is about, printed before each run.
SHOWN = ("Django", "celery", "kombu", "structlog", "django-structlog", "django-guid", "django-ipware")


@nox.session
@nox.parametrize(("python", "django"), CELLS)
def tests(session: nox.Session, django: str) -> None:
    """The whole suite on one Python with one Django major, the newest of everything else."""
    session.install("-e", ".[test]", f"Django~={django}.0")
    _run_suite(session)


@nox.session(python=PYTHONS[0], tags=["ci"])
def lowest(session: nox.Session) -> None:
    """The whole suite with every dependency at the lowest version ``pyproject.toml`` allows.

    ``constraints/lowest.txt`` pins each one exactly; ``tests/test_packaging.py``
    checks that its pins are the lower bounds of ``pyproject.toml``.
    """
    session.install("-e", ".[test]", "-c", str(LOWEST))
    _run_suite(session)


def _run_suite(session: nox.Session) -> None:
    session.run("python", "-c", "import importlib.metadata as m, sys; print(sys.version.split()[0], "
                + ", ".join(f"'{name}', m.version('{name}')" for name in SHOWN) + ")")
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", *session.posargs)
