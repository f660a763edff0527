"""structlog's native path in oxlog: the API applications use, levels, and foreign handlers."""

from __future__ import annotations

import json
import logging
import logging.config
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

import oxlog
import oxlog._logger


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[Any]:
    """oxlog configured in this process (JSON file only); logging reset afterwards."""
    oxlog.configure(dir=str(tmp_path), console="off", files=["json"], level="INFO")

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in (tmp_path / "json.log").read_text().splitlines()]

    yield read
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                               "root": {"handlers": [], "level": "WARNING"}})
    structlog.reset_defaults()


def test_bound_loggers_positional_args_and_levels(logs: Any) -> None:
    """bind() keys, %-style positional args, log(level) and exception() all render."""
    log = structlog.get_logger("app.orders").bind(order_id=7)
    log.info("shipped %s to %s", "box", "Oslo")
    log.log(logging.WARNING, "late", days=2)
    log.debug("hidden")
    try:
        raise KeyError("k")
    except KeyError:
        log.exception("lookup_failed")
    shipped, late, failed = logs()
    assert (shipped["message"], shipped["order_id"]) == ("shipped box to Oslo", 7)
    assert (late["level"], late["days"]) == ("warning", 2)
    assert failed["level"] == "error" and failed["exception"].endswith("KeyError: 'k'")


def test_get_logger_without_a_name_uses_the_calling_module(logs: Any) -> None:
    """structlog.get_logger() names the logger after the module that calls it."""
    structlog.get_logger().info("hello")
    assert logs()[0]["logger"] == __name__


def test_stdlib_levels_apply_to_structlog_calls(logs: Any) -> None:
    """A level set on the stdlib logger (LOGGING, caplog.set_level) filters structlog calls."""
    logging.getLogger("noisy").setLevel(logging.ERROR)
    structlog.get_logger("noisy").warning("dropped")
    structlog.get_logger("noisy").error("kept")
    logging.getLogger("quiet.debug").setLevel(logging.DEBUG)
    structlog.get_logger("quiet.debug").debug("debug_kept")
    assert [r["message"] for r in logs()] == ["kept", "debug_kept"]


def test_foreign_handlers_get_a_real_log_record(logs: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Handlers that are not oxlog's (pytest's caplog, Sentry's) receive LogRecords."""
    with caplog.at_level(logging.INFO):
        structlog.get_logger("app").info("seen_by_caplog", x=1)
    (record,) = [r for r in caplog.records if r.name == "app"]
    assert record.getMessage() == "seen_by_caplog" and record.levelno == logging.INFO
    assert logs()[-1]["message"] == "seen_by_caplog"


def test_extra_keys_clashing_with_logrecord_never_raise(logs: Any) -> None:
    """extra={'message': …, 'process': …} is kept as _message/_process, not a KeyError."""
    logging.getLogger("app").info("hello", extra={"message": "mine", "process": "payment"})
    (record,) = logs()
    assert record["message"] == "hello" and record["_message"] == "mine"
    assert isinstance(record["process"], int) and record["_process"] == "payment"


def test_user_exception_key_never_passes_for_a_traceback(logs: Any) -> None:
    """A call's own exception= is kept as _exception; oxlog's traceback stays 'exception'."""
    log = structlog.get_logger("app")
    log.info("no_exc", exception="not a traceback")
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        log.error("with_exc", exception="mine", exc_info=True)
    plain, with_exc = logs()
    assert "exception" not in plain and plain["_exception"] == "not a traceback"
    assert with_exc["_exception"] == "mine"
    assert with_exc["exception"].endswith("ZeroDivisionError: division by zero")


def test_recursive_values_are_redacted_and_rendered_once(logs: Any) -> None:
    """A dict that contains itself is written once, its secret masked, the loop marked."""
    data: dict[str, Any] = {"token": "s3cret", "name": "x"}
    data["self"] = data
    structlog.get_logger("app").info("loop", data=data)
    (record,) = logs()
    assert record["data"] == {"token": "[REDACTED]", "name": "x", "self": "<recursive dict>"}


def test_native_path_writes_the_same_line_as_the_stdlib_path(tmp_path: Path) -> None:
    """A structlog call (no LogRecord) and a logging call with the same keys write the same
    JSON and logfmt lines, key for key and in the same order, but for the timestamp."""
    oxlog.configure(dir=str(tmp_path), console="off", files=["json", "logfmt"], service="shop")
    try:
        with oxlog.bound(correlation_id="6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90", task_id="t-1"):
            structlog.get_logger("app").warning("ev", a=1, b="x y", c=[1, 2], token="s3cret")
            logging.getLogger("app").warning("ev", extra={"a": 1, "b": "x y", "c": [1, 2],
                                                          "token": "s3cret"})
        native, stdlib = (json.loads(x) for x in (tmp_path / "json.log").read_text().splitlines())
        assert native.pop("timestamp") and stdlib.pop("timestamp")
        assert list(native.items()) == list(stdlib.items())
        flat_native, flat_stdlib = (line.split(" ", 1)[1] for line in
                                    (tmp_path / "flat_line.log").read_text().splitlines())
        assert flat_native == flat_stdlib
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                                   "root": {"handlers": [], "level": "WARNING"}})
        structlog.reset_defaults()


COLOR_SCRIPT = """
import oxlog, structlog
oxlog.configure(console="console", files="none")
structlog.get_logger("app").warning("painted")
"""


@pytest.mark.parametrize(("env", "colored"), [({}, False), ({"FORCE_COLOR": "1"}, True),
                                             ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False)])
def test_console_colours_follow_the_terminal_no_color_and_force_color(
        run_python: Any, env: dict[str, str], colored: bool) -> None:
    """Not a terminal: no colour; FORCE_COLOR turns it on; NO_COLOR wins over it."""
    run = run_python(COLOR_SCRIPT, settings=None, env=env)
    (line,) = [x for x in run.stderr.splitlines() if "painted" in x]
    assert ("\x1b[" in line) is colored


def test_tracebacks_never_carry_frame_locals(tmp_path: Path) -> None:
    """A secret in a local variable of the failing frame is not in the traceback."""
    oxlog.configure(dir=str(tmp_path), console="off", files=["json", "logfmt"])
    try:
        def charge() -> None:
            card_number = "4111-1111-1111-1111"  # noqa: F841 - the local that must not leak
            raise ValueError("declined")

        try:
            charge()
        except ValueError:
            structlog.get_logger("app").exception("charge_failed")
            logging.getLogger("app").exception("charge failed")
        for name in ("json.log", "flat_line.log"):
            text = (tmp_path / name).read_text()
            assert "ValueError: declined" in text and "4111" not in text
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                                   "root": {"handlers": [], "level": "WARNING"}})
        structlog.reset_defaults()


class _TagShop(logging.Filter):
    """A logger filter as applications write them: drops one message, tags the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "healthcheck" in record.getMessage():
            return False
        record.tenant = "acme"  # type: ignore[attr-defined]
        record.api_token = "s3cret"  # type: ignore[attr-defined]
        return True


def test_a_logger_filter_applies_to_structlog_and_plain_calls_alike(logs: Any) -> None:
    """``Logger.handle`` runs the logger's own filters before any handler: for both kinds
    of call, a dropped record is dropped and the attributes a filter adds are fields
    (redacted like any other)."""
    shop = logging.getLogger("shop")
    shop.addFilter(_TagShop())
    try:
        structlog.get_logger("shop").info("healthcheck")
        shop.info("healthcheck")
        structlog.get_logger("shop").info("paid", order=1)
        shop.info("paid %s", 2)
    finally:
        shop.filters.clear()
    native, plain = logs()
    assert (native["message"], native["order"], native["tenant"]) == ("paid", 1, "acme")
    assert (plain["message"], plain["tenant"]) == ("paid 2", "acme")
    assert native["api_token"] == plain["api_token"] == "[REDACTED]"


@pytest.mark.skipif(sys.version_info < (3, 12), reason="filters return records since Python 3.12")
def test_a_filter_that_returns_a_new_record_is_honoured(logs: Any) -> None:
    """Python 3.12+: the record a logger or handler filter returns is the one emitted."""

    def replace(record: logging.LogRecord) -> logging.LogRecord:
        new = logging.makeLogRecord({**record.__dict__, "msg": "replaced", "args": None})
        new.__dict__.pop("_oxlog_event", None)
        return new

    logging.getLogger("swap").addFilter(replace)
    root_handler = logging.getLogger().handlers[0]
    try:
        structlog.get_logger("swap").info("original")
        logging.getLogger("swap").info("original")
        logging.getLogger("swap").filters.clear()
        root_handler.addFilter(replace)
        logging.getLogger("other").info("original")
        assert root_handler.handle(logging.makeLogRecord({"msg": "x"})).getMessage() == "replaced"
    finally:
        logging.getLogger("swap").filters.clear()
        root_handler.filters.clear()
    assert [line["message"] for line in logs()] == ["replaced", "replaced", "replaced", "replaced"]


def test_no_handler_anywhere_falls_back_to_the_last_resort(
        logs: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """A logger that propagates nowhere and has no handler: the stdlib writes WARNING and
    above to stderr through ``logging.lastResort``; a structlog call too."""
    lonely = logging.getLogger("lonely")
    lonely.propagate = False
    try:
        structlog.get_logger("lonely").warning("nobody_listens")
        lonely.warning("nobody listens either")
        structlog.get_logger("lonely").info("below_last_resort")
    finally:
        lonely.propagate = True
    assert capsys.readouterr().err.splitlines() == ["nobody_listens", "nobody listens either"]


def test_a_call_with_only_message_writes_it_as_the_message(logs: Any) -> None:
    """``log.info(message="paid")``: the message key is ``message``, so that is the message."""
    log = structlog.get_logger("app.payments")
    log.info(message="paid", amount=3)
    log.info("charged", message="also")  # a positional message wins; the key is kept aside
    paid, charged = logs()
    assert (paid["message"], paid["amount"]) == ("paid", 3) and "_message" not in paid
    assert (charged["message"], charged["_message"]) == ("charged", "also")


def test_the_lazy_proxy_fast_path_calls_oxlogs_methods_with_the_same_lines(logs: Any) -> None:
    """A module-level ``structlog.get_logger()`` proxy keeps oxlog's bound methods once its
    logger is cached (``install_proxy_fast_path``), and writes what a direct logger writes."""
    proxy = structlog.get_logger("proxied", order=1)
    assert "info" not in vars(proxy)
    proxy.info("first", n=1)
    assert isinstance(vars(proxy)["info"].__self__, oxlog._logger.BoundLogger)
    assert vars(proxy)["warning"].__self__ is vars(proxy)["info"].__self__
    proxy.warning("second", n=2)
    proxy.debug("filtered")  # the stdlib logger's level still applies
    structlog.get_logger("proxied").bind(order=1).warning("second", n=2)
    first, second, direct = logs()
    assert (first["message"], first["order"], first["n"]) == ("first", 1, 1)
    for line in (second, direct):
        del line["timestamp"]
    assert second == direct


def test_the_fast_path_leaves_proxies_of_other_configurations_alone(logs: Any) -> None:
    """Once structlog is configured by something else, a proxy gets nothing of oxlog's."""
    structlog.configure(processors=[structlog.processors.JSONRenderer()], wrapper_class=structlog.BoundLogger,
                        logger_factory=structlog.ReturnLoggerFactory(),
                        cache_logger_on_first_use=True)
    proxy = structlog.get_logger("other")
    assert proxy.info("x") == '{"event": "x"}'
    assert "info" not in vars(proxy)
