"""The processors of the chain, seen through the lines they write."""

from __future__ import annotations

import asyncio
import json
import logging
import logging.config
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from django_guid import clear_guid, set_guid

import oxlog
from oxlog import processors
from oxlog._schema import WORKFLOW_KEYS
from tests.logfmt import decode as parse_logfmt


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[Path]:
    oxlog.configure(dir=str(tmp_path), console="off", files=["json", "logfmt"], level="INFO")
    yield tmp_path
    clear_guid()
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False,
                               "root": {"handlers": [], "level": "WARNING"}})
    structlog.reset_defaults()


def _context_order(keys: list[str]) -> list[str]:
    return [k for k in keys if k in WORKFLOW_KEYS]


def test_django_guids_correlation_id_comes_first_in_the_context(logs: Path) -> None:
    """A request's ID (set by django-guid) is written before the task fields bound beside
    it, on both kinds of call and in both files, as the documented field order says."""
    set_guid("3f2c9a0e5b7d4c1f8a6e2d9b0c4f7a15")
    with oxlog.bound(task_id="6b1f0f5e-8c1d-4d7e-9a8b-2f4c6d8e0a1b", task_name="t.sync"):
        structlog.get_logger("app").info("native", n=1)
        logging.getLogger("app").info("plain %s", 2)
    json_lines: list[dict[str, Any]] = [json.loads(line) for line in
                                        (logs / "json.log").read_text().splitlines()]
    flat_lines = [parse_logfmt(line) for line in (logs / "flat_line.log").read_text().splitlines()]
    assert len(json_lines) == len(flat_lines) == 2
    for line in [*json_lines, *flat_lines]:
        assert _context_order(list(line)) == ["correlation_id", "task_id", "task_name"]
        assert line["correlation_id"] == "3f2c9a0e5b7d4c1f8a6e2d9b0c4f7a15"


def test_oxlogs_own_correlation_id_wins_over_django_guids(logs: Path) -> None:
    """Inside a task (oxlog's context bound), django-guid's leftover ID is not used."""
    set_guid("11111111111111111111111111111111")
    with oxlog.bound(correlation_id="22222222222222222222222222222222", task_id="t-1"):
        structlog.get_logger("app").info("inside")
    line = json.loads((logs / "json.log").read_text())
    assert (line["correlation_id"], line["task_id"]) == ("22222222222222222222222222222222", "t-1")


def _both(event_dict: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    ours = processors._merge_contextvars(None, "", dict(event_dict or {}))
    theirs = structlog.contextvars.merge_contextvars(None, "", dict(event_dict or {}))
    return ours, theirs


def test_merge_contextvars_gives_what_structlogs_processor_gives() -> None:
    """oxlog's cheaper merge equals structlog's, through every way of binding."""
    scv = structlog.contextvars
    scv.clear_contextvars()
    try:
        steps: list[Any] = [
            lambda: None,
            lambda: scv.bind_contextvars(request_id="r1", user_id=7),
            lambda: scv.bind_contextvars(ip="10.0.0.1", user_id=None),
            lambda: scv.unbind_contextvars("request_id"),
            lambda: scv.bind_contextvars(**{"new_key_" + "x": [1, 2]}),
            lambda: scv.clear_contextvars(),
            lambda: scv.bind_contextvars(request_id="r2"),
        ]
        for step in steps:
            step()
            ours, theirs = _both({"logger": "x", "request_id": "oxlog-set"})
            assert ours == theirs
            ours, theirs = _both()
            assert ours == theirs
        tokens = scv.bind_contextvars(request_id="r3", extra=1)
        with scv.bound_contextvars(user_id=9):
            assert _both()[0] == _both()[1] == {"request_id": "r3", "extra": 1, "user_id": 9}
        scv.reset_contextvars(**tokens)
        assert _both()[0] == _both()[1] == {"request_id": "r2"}
    finally:
        scv.clear_contextvars()


def test_merge_contextvars_in_threads_and_tasks_that_bind_new_keys() -> None:
    """Each thread and asyncio task sees its own values, while others create variables."""
    scv = structlog.contextvars
    results: list[bool] = []

    def worker(n: int) -> None:
        for i in range(200):
            scv.bind_contextvars(**{f"thread_key_{n}_{i % 7}": i, "shared": n})
            ours, theirs = _both()
            results.append(ours == theirs and ours["shared"] == n)
        scv.clear_contextvars()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 800 and all(results)

    async def task(n: int) -> bool:
        scv.bind_contextvars(task_key=n)
        await asyncio.sleep(0)
        ours, theirs = _both()
        return ours == theirs and ours["task_key"] == n

    async def main() -> list[bool]:
        return list(await asyncio.gather(*(task(n) for n in range(20))))

    assert all(asyncio.run(main()))
    assert processors._merge_contextvars(None, "", {}) == {}
