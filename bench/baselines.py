"""The configurations the benchmark compares: the setups oxlog replaces, and oxlog's.

Every configuration writes the same record — a message plus three fields
(``user_id``, ``path``, ``duration_ms``) with three context values bound
(``correlation_id``, ``task_id``, ``task_name``) — to a file in *directory*, with
the call a program using that setup would make. Each one is imported and
configured in a fresh process by :mod:`bench.worker`.

A configuration is a function ``setup(directory) -> Setup``. ``Setup.run(n)``
makes *n* INFO calls, ``Setup.run_filtered(n)`` makes *n* DEBUG calls with the
level at INFO (nothing is written), and ``Setup.files`` names the files the INFO
calls write, with their format, so the worker can check them afterwards. The
loops are written out in each configuration (no per-record helper call) so that
what is timed is the log call and nothing else.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from collections.abc import Callable
from dataclasses import dataclass, field

#: The three context values every configuration binds.
CONTEXT = {
    "correlation_id": "3f2c9a0e5b7d4c1f8a6e2d9b0c4f7a15",
    "task_id": "6b1f0f5e-8c1d-4d7e-9a8b-2f4c6d8e0a1b",
    "task_name": "orders.tasks.sync_order",
}
#: Two of the three fields are constant; ``user_id`` is the loop counter.
PATH = "/api/orders/sync"
DURATION_MS = 12.5
MESSAGE = "order synced"
#: The %-style message plain ``logging`` calls use (the three fields as arguments).
PERCENT_MESSAGE = "order synced user_id=%s path=%s duration_ms=%s"
LOGGER_NAME = "bench.orders"


@dataclass
class Setup:
    """What a configured process can do: log *n* records, or *n* filtered DEBUG calls."""

    run: Callable[[int], None]
    run_filtered: Callable[[int], None]
    #: (path, "json" | "text") for every file the INFO calls write.
    files: list[tuple[str, str]] = field(default_factory=list)


def _reset_logging() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.INFO)


# --- 1. plain stdlib --------------------------------------------------------------------


def stdlib(directory: str) -> Setup:
    """``%(asctime)s %(levelname)s %(name)s %(message)s`` to a ``logging.FileHandler``.

    The three fields are %-arguments of the message; the context is passed as
    ``extra=`` (so the record carries it, as a context filter would make it), but
    the format, the one plain setups use, does not write it: this is the cheapest
    setup, the one oxlog is held to.
    """
    _reset_logging()
    path = os.path.join(directory, "plain.log")
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(handler)
    log = logging.getLogger(LOGGER_NAME)
    ctx = dict(CONTEXT)

    def run(n: int) -> None:
        info, msg, p, d = log.info, PERCENT_MESSAGE, PATH, DURATION_MS
        for i in range(n):
            info(msg, i, p, d, extra=ctx)

    def run_filtered(n: int) -> None:
        debug, msg, p, d = log.debug, PERCENT_MESSAGE, PATH, DURATION_MS
        for i in range(n):
            debug(msg, i, p, d, extra=ctx)

    return Setup(run, run_filtered, [(path, "text")])


# --- 2. python-json-logger --------------------------------------------------------------


def python_json_logger(directory: str) -> Setup:
    """``pythonjsonlogger.json.JsonFormatter`` on a ``logging.FileHandler``; fields in ``extra=``."""
    from pythonjsonlogger.json import JsonFormatter

    _reset_logging()
    path = os.path.join(directory, "json.log")
    handler = logging.FileHandler(path)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.getLogger().addHandler(handler)
    log = logging.getLogger(LOGGER_NAME)
    ctx = dict(CONTEXT)

    def run(n: int) -> None:
        info, msg, p, d = log.info, MESSAGE, PATH, DURATION_MS
        for i in range(n):
            info(msg, extra={"user_id": i, "path": p, "duration_ms": d, **ctx})

    def run_filtered(n: int) -> None:
        debug, msg, p, d = log.debug, MESSAGE, PATH, DURATION_MS
        for i in range(n):
            debug(msg, extra={"user_id": i, "path": p, "duration_ms": d, **ctx})

    return Setup(run, run_filtered, [(path, "json")])


# --- 3. django-structlog's documented setup -------------------------------------------


def dsl_docs(directory: str, files: int = 1, bind_context: bool = True) -> Setup:
    """The setup django-structlog's README recommends (its predecessor wrote both files).

    ``structlog.stdlib.LoggerFactory`` + ``structlog.stdlib.BoundLogger``, the
    documented processor list ending in ``ProcessorFormatter.wrap_for_formatter``,
    and ``WatchedFileHandler`` + ``ProcessorFormatter(JSONRenderer())`` for
    ``json.log`` (plus ``KeyValueRenderer`` for ``flat_line.log`` with *files* = 2),
    exactly as in the README's ``LOGGING``.
    """
    import structlog

    _reset_logging()
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    out = []
    json_path = os.path.join(directory, "json.log")
    handler = logging.handlers.WatchedFileHandler(json_path)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processor=structlog.processors.JSONRenderer()))
    logging.getLogger().addHandler(handler)
    out.append((json_path, "json"))
    if files == 2:
        flat_path = os.path.join(directory, "flat_line.log")
        flat = logging.handlers.WatchedFileHandler(flat_path)
        flat.setFormatter(structlog.stdlib.ProcessorFormatter(
            processor=structlog.processors.KeyValueRenderer(
                key_order=["timestamp", "level", "event", "logger"])))
        logging.getLogger().addHandler(flat)
        out.append((flat_path, "text"))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.filter_by_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    if bind_context:
        structlog.contextvars.bind_contextvars(**CONTEXT)
    return _structlog_loops(structlog.get_logger(LOGGER_NAME), out)


def dsl_docs_2files(directory: str) -> Setup:
    """:func:`dsl_docs` with ``flat_line.log`` too (the ``--files 2`` variant)."""
    return dsl_docs(directory, files=2)


def _structlog_loops(log: object, files: list[tuple[str, str]]) -> Setup:
    def run(n: int) -> None:
        info, msg, p, d = log.info, MESSAGE, PATH, DURATION_MS  # type: ignore[attr-defined]
        for i in range(n):
            info(msg, user_id=i, path=p, duration_ms=d)

    def run_filtered(n: int) -> None:
        debug, msg, p, d = log.debug, MESSAGE, PATH, DURATION_MS  # type: ignore[attr-defined]
        for i in range(n):
            debug(msg, user_id=i, path=p, duration_ms=d)

    return Setup(run, run_filtered, files)


# --- 4. structlog's own fast path -------------------------------------------------------


def structlog_native(directory: str) -> Setup:
    """``make_filtering_bound_logger(INFO)`` + ``WriteLoggerFactory``: no stdlib at all."""
    import structlog

    _reset_logging()
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    path = os.path.join(directory, "json.log")
    stream = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(**CONTEXT)
    return _structlog_loops(structlog.get_logger(LOGGER_NAME), [(path, "json")])


# --- 5. oxlog, the way its users configure it: a Django settings module -------------------------

#: The settings module a Django project writes (``from oxlog.settings import *``), with the
#: outputs of each row; ``{dir}`` and ``{files}`` are filled in per run.
SETTINGS_MODULE = """\
from oxlog.settings import *  # noqa: F403

SECRET_KEY = "bench"
INSTALLED_APPS = [*OXLOG_APPS, "django.contrib.contenttypes", "django.contrib.auth"]  # noqa: F405
MIDDLEWARE = [*OXLOG_MIDDLEWARE]  # noqa: F405
DATABASES = {{}}
USE_TZ = True
OXLOG_DIR = {dir!r}
OXLOG_CONSOLE = "off"
OXLOG_FILES = {files!r}
OXLOG_LEVEL = "INFO"
"""


def _oxlog_django(directory: str, files: list[str]) -> None:
    """``django.setup()`` with a settings module that star-imports ``oxlog.settings``; the
    correlation ID set through django-guid as its middleware sets it for a request, and the
    task's ID and name bound as oxlog's Celery receivers bind them."""
    import sys

    import django
    from django_guid import set_guid

    import oxlog

    _reset_logging()
    module = os.path.join(directory, "bench_settings.py")
    with open(module, "w", encoding="utf-8") as f:
        f.write(SETTINGS_MODULE.format(dir=directory, files=files))
    sys.path.insert(0, directory)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    django.setup()
    set_guid(CONTEXT["correlation_id"])
    oxlog.bind(task_id=CONTEXT["task_id"], task_name=CONTEXT["task_name"])


def _oxlog_configure(directory: str, files: list[str]) -> None:
    """``oxlog.configure()``: a program without Django settings."""
    import oxlog

    _reset_logging()
    oxlog.configure(dir=directory, console="off", files=files, level="INFO")
    oxlog.bind(**CONTEXT)


def _oxlog_files(directory: str, files: list[str]) -> list[tuple[str, str]]:
    names = {"json": ("json.log", "json"), "logfmt": ("flat_line.log", "text")}
    return [(os.path.join(directory, names[f][0]), names[f][1]) for f in files]


def _oxlog_structlog(configure: Callable[[str, list[str]], None], files: list[str]) -> Callable[[str], Setup]:
    def setup(directory: str) -> Setup:
        import structlog

        configure(directory, files)
        return _structlog_loops(structlog.get_logger(LOGGER_NAME), _oxlog_files(directory, files))

    setup.__doc__ = f"A structlog call, oxlog configured by {configure.__name__}, {' + '.join(files)}."
    return setup


def _oxlog_stdlib(configure: Callable[[str, list[str]], None], files: list[str]) -> Callable[[str], Setup]:
    def setup(directory: str) -> Setup:
        configure(directory, files)
        log = logging.getLogger(LOGGER_NAME)

        def run(n: int) -> None:
            info, msg, p, d = log.info, PERCENT_MESSAGE, PATH, DURATION_MS
            for i in range(n):
                info(msg, i, p, d)

        def run_filtered(n: int) -> None:
            debug, msg, p, d = log.debug, PERCENT_MESSAGE, PATH, DURATION_MS
            for i in range(n):
                debug(msg, i, p, d)

        return Setup(run, run_filtered, _oxlog_files(directory, files))

    setup.__doc__ = (f"The plain ``logging`` call of :func:`stdlib`, oxlog configured by "
                     f"{configure.__name__}, {' + '.join(files)}.")
    return setup


# --- 6. oxlog with OpenTelemetry (python -m bench.run --tracing) ------------------------------


#: The rows below are oxlog configured through ``configure()`` (json.log only).
_STRUCTLOG_JSON = _oxlog_structlog(_oxlog_configure, ["json"])
_STDLIB_JSON = _oxlog_stdlib(_oxlog_configure, ["json"])


def _without_opentelemetry() -> None:
    """Make ``opentelemetry`` unimportable, as if it were not installed (no tracing step)."""
    import sys

    sys.modules["opentelemetry"] = None  # type: ignore[assignment]


def _tracer() -> object:
    """The real SDK's tracer, with a provider set (as an instrumented application has)."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    trace.set_tracer_provider(TracerProvider())
    return trace.get_tracer("bench")


def _in_a_span(setup: Setup, tracer: object) -> Setup:
    """*setup* with every call made while one span is current (its IDs on every line)."""
    def run(n: int) -> None:
        with tracer.start_as_current_span("bench"):  # type: ignore[attr-defined]
            setup.run(n)

    def run_filtered(n: int) -> None:
        with tracer.start_as_current_span("bench"):  # type: ignore[attr-defined]
            setup.run_filtered(n)

    return Setup(run, run_filtered, setup.files)


def oxlog_structlog_no_otel(directory: str) -> Setup:
    """oxlog-configure-structlog-json with OpenTelemetry not importable: the chain without it."""
    _without_opentelemetry()
    return _STRUCTLOG_JSON(directory)


def oxlog_structlog_otel_no_span(directory: str) -> Setup:
    """oxlog-configure-structlog-json with the OpenTelemetry SDK set up and no span current."""
    _tracer()
    return _STRUCTLOG_JSON(directory)


def oxlog_structlog_otel_span(directory: str) -> Setup:
    """oxlog-configure-structlog-json with a span current: ``trace_id``, ``span_id`` on each line."""
    return _in_a_span(_STRUCTLOG_JSON(directory), _tracer())


def oxlog_stdlib_no_otel(directory: str) -> Setup:
    """oxlog-configure-stdlib-json with OpenTelemetry not importable."""
    _without_opentelemetry()
    return _STDLIB_JSON(directory)


def oxlog_stdlib_otel_no_span(directory: str) -> Setup:
    """oxlog-configure-stdlib-json with the OpenTelemetry SDK set up and no span current."""
    _tracer()
    return _STDLIB_JSON(directory)


def oxlog_stdlib_otel_span(directory: str) -> Setup:
    """oxlog-configure-stdlib-json with a span current."""
    return _in_a_span(_STDLIB_JSON(directory), _tracer())


#: Every configuration by name, in table order.
CONFIGS: dict[str, Callable[[str], Setup]] = {
    "stdlib": stdlib,
    "python-json-logger": python_json_logger,
    "dsl-docs": dsl_docs,
    "dsl-docs-2files": dsl_docs_2files,
    "structlog-native": structlog_native,
    # oxlog as its users configure it (a Django settings module), then through configure().
    "oxlog-structlog-json": _oxlog_structlog(_oxlog_django, ["json"]),
    "oxlog-stdlib-json": _oxlog_stdlib(_oxlog_django, ["json"]),
    "oxlog-both": _oxlog_structlog(_oxlog_django, ["json", "logfmt"]),
    "oxlog-configure-structlog-json": _oxlog_structlog(_oxlog_configure, ["json"]),
    "oxlog-configure-stdlib-json": _oxlog_stdlib(_oxlog_configure, ["json"]),
    "oxlog-configure-both": _oxlog_structlog(_oxlog_configure, ["json", "logfmt"]),
    "oxlog-structlog-no-otel": oxlog_structlog_no_otel,
    "oxlog-structlog-otel-no-span": oxlog_structlog_otel_no_span,
    "oxlog-structlog-otel-span": oxlog_structlog_otel_span,
    "oxlog-stdlib-no-otel": oxlog_stdlib_no_otel,
    "oxlog-stdlib-otel-no-span": oxlog_stdlib_otel_no_span,
    "oxlog-stdlib-otel-span": oxlog_stdlib_otel_span,
}

#: The OpenTelemetry rows, run with ``--tracing`` (or named in ``--configs``): each
#: ``*-otel-*`` row is compared with its ``*-no-otel`` row of the same round.
TRACING = ("oxlog-structlog-no-otel", "oxlog-structlog-otel-no-span", "oxlog-structlog-otel-span",
           "oxlog-stdlib-no-otel", "oxlog-stdlib-otel-no-span", "oxlog-stdlib-otel-span")

#: Configurations whose filtered-DEBUG cost is measured (``<name>-debug-filtered`` rows).
FILTERED = ("stdlib", "dsl-docs", "structlog-native", "oxlog-structlog-json", "oxlog-stdlib-json")
