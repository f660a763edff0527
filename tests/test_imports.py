"""The import graph of the package: no circle, and every import inside a function said why.

Read from the source with ``ast`` (imports inside functions included, where circles
hide), so a new circle fails here before it fails as a half-initialised module.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "oxlog"

#: Imports inside functions, each with its reason: an optional dependency, or a cold path
#: that must not load something heavy (Django, Celery) where it is not needed.
LAZY = {
    ("oxlog._logger", "structlog._config"): "structlog's private proxy; absent = no fast path",
    ("oxlog._options", "django.conf"): "Django settings, only where Django is installed",
    ("oxlog.apps", "oxlog._checks"): "Django: receivers and checks load when apps are ready",
    ("oxlog.apps", "oxlog._request_timing"): "Django: receivers load when apps are ready",
    ("oxlog.apps", "oxlog._commands"): "Django: patch commands when apps are ready",
    ("oxlog.apps", "oxlog.celery"): "Celery only when OXLOG_CELERY is on",
    ("oxlog.celery", "oxlog.celery.signals"): "Celery loads on connect, not with dictConfig",
    ("oxlog.celery.signals", "django.conf"): "Django's checks only where Django is set up",
    ("oxlog.celery.signals", "oxlog._checks"): "Django's checks only where Django is set up",
    ("oxlog.correlation", "django_guid.config"): "django-guid's settings need Django's",
    ("oxlog._tracing", "opentelemetry"): "OpenTelemetry is optional: no tracing step without it",
    ("oxlog._tracing", "opentelemetry.context.contextvars_context"): "OpenTelemetry, optional",
    ("oxlog._tracing", "opentelemetry.trace"): "OpenTelemetry, optional",
    ("oxlog._sentry", "sentry_sdk.scope"): "sentry-sdk, optional, imported by the application",
    ("oxlog.cli.demo", "oxlog.cli"): "the CLI entry point, which imports the demo",
    ("oxlog.cli.demo", "django"): "Django only in the demo's serving process",
    ("oxlog.cli.demo", "django.core.servers.basehttp"): "Django only in the demo's serving process",
    ("oxlog.cli.demo", "django.core.wsgi"): "Django only in the demo's serving process",
    ("oxlog.cli.demo", "celery.beat"): "Celery only in the demo's dispatching process",
    ("oxlog.cli.demo", "celery.schedules"): "Celery only in the demo's dispatching process",
    ("oxlog.cli.demo", "oxlog.demo.project.celery"): "the demo project sets Django up",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "demo" in parts[1:2]:  # the demo project is an application, not the package
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(modules: dict[str, Path]) -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    """Each module's imports of other modules (a ``from X import Y`` of a submodule Y is an
    edge to ``X.Y``), and the (module, imported) pairs made inside a function."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    lazy: set[tuple[str, str]] = set()
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        in_function = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                       for n in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules
                           else node.module for a in node.names]
            else:
                continue
            for target in targets:
                if id(node) in in_function:
                    lazy.add((name, target))
                if target in modules and target != name:
                    graph[name].add(target)
    return graph, lazy


def test_the_package_has_no_import_circle() -> None:
    """No module reaches itself through its imports, at the top or inside functions."""
    graph, _ = _imports(_modules())
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                circles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target, [*path, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_every_import_inside_a_function_has_a_reason() -> None:
    """A new import inside a function is an optional dependency or a cold path: say which."""
    _, lazy = _imports(_modules())
    assert lazy == set(LAZY)


@pytest.mark.parametrize("name", ["oxlog._schema", "oxlog._values", "oxlog._report"])
def test_the_leaf_modules_import_nothing_of_oxlog(name: str) -> None:
    """The schema (shared with the CLI), values and reports sit below everything else."""
    graph, _ = _imports(_modules())
    assert graph[name] == set()


def test_the_cli_reads_logs_without_structlog_django_or_celery() -> None:
    """``oxlog trace`` loads the schema, not the writer: its imports stay light."""
    code = ("import sys, oxlog.cli.trace, oxlog.cli.stats, oxlog.cli.lost; "
            "print(sorted(m for m in ('structlog', 'django', 'celery') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
