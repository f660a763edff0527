"""``oxlog._logger.Sink.emit`` is a copy of ``Logger.handle`` + ``Logger.callHandlers``.

The copy must behave exactly as the original. Each scenario below builds the same
logger tree twice, sends the same call down both routes — a plain ``logging`` call
(the stdlib's own ``Logger.handle``) and a structlog call (oxlog's ``Sink.emit``) — and
compares what every handler received: which handlers, in which order, at which
level, with which message, and the attributes a filter added. oxlog's own handler
is in every tree too, so its fast path (events without a ``LogRecord``) is compared
with the record path it stands in for.
"""

from __future__ import annotations

import io
import json
import logging
import logging.config
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog

import oxlog
from oxlog.formatters import JSONFormatter
from oxlog.handlers import OxlogHandler

Received = list[tuple[str, int, str, tuple[tuple[str, Any], ...]]]


class Recorder(logging.Handler):
    """A foreign handler (Sentry's, pytest's, mail_admins'): keeps what it was given."""

    def __init__(self, name: str, seen: Received, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.tag, self.seen = name, seen

    def emit(self, record: logging.LogRecord) -> None:
        added = tuple(sorted((k, v) for k, v in vars(record).items() if k.startswith("added_")))
        self.seen.append((self.tag, record.levelno, record.getMessage(), added))


class OxlogRecorder(OxlogHandler):
    """oxlog's own handler, writing its lines into a list instead of a file."""

    def __init__(self, name: str, seen: Received) -> None:
        super().__init__()
        self.tag, self.seen = name, seen
        self.setFormatter(JSONFormatter())

    def write_line(self, text: str) -> None:
        event = json.loads(text)
        added = tuple(sorted((k, v) for k, v in event.items() if k.startswith("added_")))
        self.seen.append((self.tag, {"info": 20, "warning": 30, "error": 40}[event["level"]],
                          event["message"], added))


def add_attribute(record: logging.LogRecord) -> bool:
    record.added_by_filter = "yes"
    return True


def drop_warnings(record: logging.LogRecord) -> bool:
    return record.levelno != logging.WARNING


def replace_record(record: logging.LogRecord) -> Any:
    """A filter that returns another record (honoured from Python 3.12 on)."""
    if sys.version_info < (3, 12):
        return True
    new = logging.makeLogRecord({**vars(record), "msg": "replaced", "args": None,
                                 "added_replaced": 1})
    new.__dict__.pop("_oxlog_event", None)
    return new


Tree = Callable[[Received], None]


def tree_plain(seen: Received) -> None:
    logging.getLogger("m.a").addHandler(Recorder("a", seen))
    logging.getLogger("m").addHandler(OxlogRecorder("ox", seen))
    logging.getLogger().addHandler(Recorder("root", seen))


def tree_propagate_false(seen: Received) -> None:
    tree_plain(seen)
    logging.getLogger("m").propagate = False


def tree_handler_levels(seen: Received) -> None:
    logging.getLogger("m.a").addHandler(Recorder("errors-only", seen, logging.ERROR))
    logging.getLogger().addHandler(OxlogRecorder("ox", seen))


def tree_logger_filter_drops(seen: Received) -> None:
    tree_plain(seen)
    logging.getLogger("m.a").addFilter(drop_warnings)


def tree_logger_filter_adds(seen: Received) -> None:
    tree_plain(seen)
    logging.getLogger("m.a").addFilter(add_attribute)


def tree_logger_filter_returns_record(seen: Received) -> None:
    tree_plain(seen)
    logging.getLogger("m.a").addFilter(replace_record)


def tree_handler_filters(seen: Received) -> None:
    dropping, adding = Recorder("drops", seen), OxlogRecorder("ox-adds", seen)
    dropping.addFilter(drop_warnings)
    adding.addFilter(add_attribute)
    logging.getLogger("m.a").addHandler(dropping)
    logging.getLogger("m").addHandler(adding)
    returning, ox_returning = Recorder("returns", seen), OxlogRecorder("ox-returns", seen)
    returning.addFilter(replace_record)
    ox_returning.addFilter(replace_record)
    logging.getLogger().addHandler(returning)
    logging.getLogger().addHandler(ox_returning)


def tree_ancestor_filter_ignored(seen: Received) -> None:
    """A filter on an ancestor logger does not apply to a child's records (stdlib rule)."""
    tree_plain(seen)
    logging.getLogger("m").addFilter(drop_warnings)


def tree_disabled(seen: Received) -> None:
    tree_plain(seen)
    logging.getLogger("m.a").disabled = True


def tree_logging_disable(seen: Received) -> None:
    tree_plain(seen)
    logging.disable(logging.WARNING)


def tree_no_handler_last_resort(seen: Received) -> None:
    logging.lastResort = Recorder("last-resort", seen, logging.WARNING)


TREES: dict[str, Tree] = {
    "plain": tree_plain,
    "propagate-false": tree_propagate_false,
    "handler-levels": tree_handler_levels,
    "logger-filter-drops": tree_logger_filter_drops,
    "logger-filter-adds": tree_logger_filter_adds,
    "logger-filter-returns-record": tree_logger_filter_returns_record,
    "handler-filters": tree_handler_filters,
    "ancestor-filter-ignored": tree_ancestor_filter_ignored,
    "disabled": tree_disabled,
    "logging-disable": tree_logging_disable,
    "no-handler-last-resort": tree_no_handler_last_resort,
}


@pytest.fixture
def fresh_logging(tmp_path: Any) -> Iterator[None]:
    """oxlog configured with no handlers of its own; every logger the test touches reset."""
    last_resort = logging.lastResort
    oxlog.configure(dir=str(tmp_path), console="off", files="none", level="INFO")
    yield
    for name in ("m", "m.a"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.filters.clear()
        logger.propagate, logger.disabled = True, False
    logging.lastResort = last_resort
    logging.disable(logging.NOTSET)
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                               "root": {"handlers": [], "level": "WARNING"}})
    structlog.reset_defaults()


def _run(tree: Tree, call: Callable[[int, str], None]) -> Received:
    seen: Received = []
    root = logging.getLogger()
    kept = root.handlers[:]
    root.handlers.clear()
    try:
        tree(seen)
        for level, text in ((logging.INFO, "one"), (logging.WARNING, "two"), (logging.ERROR, "three")):
            call(level, text)
    finally:
        for name in ("m", "m.a"):
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.filters.clear()
            logger.propagate, logger.disabled = True, False
        root.handlers[:] = kept
        logging.disable(logging.NOTSET)
    return seen


@pytest.mark.parametrize("name", TREES)
def test_both_routes_reach_the_same_handlers_with_the_same_records(
        name: str, fresh_logging: None) -> None:
    """A structlog call and a plain call give every handler the same records."""
    tree = TREES[name]
    last_resort = logging.lastResort
    plain = _run(tree, lambda level, text: logging.getLogger("m.a").log(level, "%s", text))
    logging.lastResort = last_resort
    native = _run(tree, lambda level, text: structlog.get_logger("m.a").log(level, text))
    logging.lastResort = last_resort
    assert native == plain
    assert plain or name in ("disabled", "logging-disable")  # the scenario delivered something


def test_no_handler_and_no_last_resort_says_so_once_on_both_routes(
        fresh_logging: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``lastResort = None`` both routes print the stdlib's one-time message."""
    said = []
    for call in (lambda: logging.getLogger("m.a").warning("x"),
                 lambda: structlog.get_logger("m.a").warning("x")):
        err = io.StringIO()
        monkeypatch.setattr(sys, "stderr", err)
        monkeypatch.setattr(logging, "lastResort", None)
        root = logging.getLogger()
        kept, root.handlers[:] = root.handlers[:], []
        logging.getLogger("m.a").manager.emittedNoHandlerWarning = False
        try:
            call()
            call()
        finally:
            root.handlers[:] = kept
        said.append(err.getvalue())
    assert said[0] == said[1] == 'No handlers could be found for logger "m.a"\n'
