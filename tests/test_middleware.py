"""Hostile correlation IDs: only canonical shapes are kept; anything else is replaced, quietly."""

from __future__ import annotations

import json
from typing import Any

import pytest

VALID = ["6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90", "6F1C0A7E5B3D4A8E9C2F1B0A3D5E7F90",
         "6f1c0a7e-5b3d-4a8e-9c2f-1b0a3d5e7f90"]
HOSTILE = {
    "braces": "{6f1c0a7e-5b3d-4a8e-9c2f-1b0a3d5e7f90}",
    "urn": "urn:uuid:6f1c0a7e-5b3d-4a8e-9c2f-1b0a3d5e7f90",
    "hyphens": "-" * 100_000,
    "newline": "\n6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90",
    "fullwidth": "６f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90",  # noqa: RUF001
    "too_long": "6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90a",
    "forged_line": 'x" level=error message="forged',
    "short": "xyz",  # not hex: it cannot turn up inside a random ID by chance
    "ansi": "\x1b[31m6f1c0a7e5b3d4a8e9c2f1b0a3d5e7f90",
}

SCRIPT = """
import django, json, sys
django.setup()
from django.test import Client
values = json.load(open("values.json"))
client = Client()
out = []
for value in values:
    r = client.get("/ok/", HTTP_CORRELATION_ID=value)
    out.append([r.status_code, r.headers.get("Correlation-ID")])
print(json.dumps(out))
"""


@pytest.fixture
def answered(run_python: Any, tmp_path: Any) -> Any:
    values = VALID + list(HOSTILE.values())
    (tmp_path / "values.json").write_text(json.dumps(values))
    run = run_python(SCRIPT)
    return values, json.loads(run.stdout.splitlines()[-1]), run


def test_canonical_ids_are_kept_and_echoed(answered: Any) -> None:
    """32-hex and 8-4-4-4-12 IDs come back as sent and are on the request's lines."""
    values, answers, run = answered
    records = run.json()
    for value, (status, echoed) in zip(values[:3], answers[:3], strict=True):
        assert status == 200 and echoed == value
        assert any(r.get("correlation_id") == value and r["message"] == "order_viewed"
                   for r in records)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_id_is_replaced_never_echoed_and_never_logged(answered: Any, name: str) -> None:
    """Each hostile shape gets a fresh 32-hex ID, a 200, and one rejection line without it."""
    values, answers, run = answered
    index = values.index(HOSTILE[name])
    status, echoed = answers[index]
    assert status == 200
    assert echoed != HOSTILE[name] and len(echoed) == 32 and int(echoed, 16) >= 0
    lines = [r for r in run.json() if r.get("correlation_id") == echoed]
    rejected = [r for r in lines if r["message"] == "correlation_id_rejected"]
    assert len(rejected) == 1
    assert rejected[0]["length"] == len(HOSTILE[name]) and rejected[0]["source"] == "http_header"
    assert rejected[0]["reason"] in {"too long", "non-ASCII characters",
                                     "not a 32-hex or 8-4-4-4-12 UUID"}
    text = (run.log_dir / "json.log").read_text()
    assert HOSTILE[name] not in text and json.dumps(HOSTILE[name])[1:-1] not in text


def test_log_volume_does_not_grow_with_the_header(answered: Any) -> None:
    """A 100 KB header costs no more log bytes than a 3-character one."""
    values, answers, run = answered
    sizes = {}
    for name in ("hyphens", "short"):
        cid = answers[values.index(HOSTILE[name])][1]
        sizes[name] = sum(len(json.dumps(r)) for r in run.json() if r.get("correlation_id") == cid)
    assert sizes["hyphens"] <= sizes["short"] + 100


# --- the headers that exist: read in order -------------------------------------------

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
OTHER = "0af7651916cd43dd8448eb211c80319c"
HEADERS_SCRIPT = """
import django, json
django.setup()
from django.test import Client
client = Client()
out = []
for headers in json.load(open("headers.json")):
    r = client.get("/ok/", headers=headers)
    out.append(r.headers.get("Correlation-ID"))
print(json.dumps(out))
"""
CASES: list[tuple[dict[str, str], str | None]] = [
    ({"X-Correlation-ID": OTHER}, OTHER),
    ({"X-Request-ID": OTHER}, OTHER),
    ({"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}, TRACE_ID),
    ({"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01", "X-Request-ID": OTHER}, OTHER),
    ({"Correlation-ID": OTHER, "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}, OTHER),
    # A refused value is logged and the next header is read.
    ({"Correlation-ID": "{braces}", "X-Request-ID": OTHER}, OTHER),
    ({"traceparent": f"00-{'0' * 32}-00f067aa0ba902b7-01"}, None),  # all-zero trace-id
    ({"traceparent": f"ff-{TRACE_ID}-00f067aa0ba902b7-01"}, None),  # version ff
    ({"traceparent": f"00-{TRACE_ID.upper()}-00f067aa0ba902b7-01"}, None),  # uppercase
]


def _served_with_headers(run_python: Any, tmp_path: Any, env: dict[str, str] | None = None) -> Any:
    (tmp_path / "headers.json").write_text(json.dumps([headers for headers, _ in CASES]))
    run = run_python(HEADERS_SCRIPT, env=env)
    return json.loads(run.stdout.splitlines()[-1]), run


def test_the_ids_of_the_headers_that_exist_are_used_in_order(run_python: Any, tmp_path: Any) -> None:
    """Correlation-ID, X-Correlation-ID, X-Request-ID, then traceparent's trace-id."""
    echoed, run = _served_with_headers(run_python, tmp_path)
    records = run.json()
    for (headers, expected), answer in zip(CASES, echoed, strict=True):
        if expected is None:
            assert answer not in (TRACE_ID, TRACE_ID.upper()) and len(answer) == 32, headers
        else:
            assert answer == expected, headers
        viewed = [r for r in records if r["message"] == "order_viewed"
                  and r.get("correlation_id") == answer]
        assert len(viewed) == echoed.count(answer), headers


def test_a_refused_header_says_which_one_and_why(run_python: Any, tmp_path: Any) -> None:
    """One correlation_id_rejected per refused header, naming it, never with the value."""
    echoed, run = _served_with_headers(run_python, tmp_path)
    rejected = [r for r in run.json() if r["message"] == "correlation_id_rejected"]
    assert [(r["header"], r["correlation_id"]) for r in rejected] == [
        ("Correlation-ID", echoed[5]), ("traceparent", echoed[6]), ("traceparent", echoed[7]),
        ("traceparent", echoed[8])]
    assert {r["reason"] for r in rejected[1:]} == {"not a W3C traceparent"}
    assert "{braces}" not in (run.log_dir / "json.log").read_text()


def test_the_header_list_is_a_setting(run_python: Any, tmp_path: Any) -> None:
    """OXLOG_REQUEST_HEADERS=X-Request-ID: only that header is read, Correlation-ID ignored."""
    (tmp_path / "headers.json").write_text(json.dumps([{"Correlation-ID": OTHER},
                                                       {"X-Request-ID": OTHER}]))
    run = run_python(HEADERS_SCRIPT, env={"OXLOG_REQUEST_HEADERS": "X-Request-ID"})
    first, second = json.loads(run.stdout.splitlines()[-1])
    assert first != OTHER and len(first) == 32
    assert second == OTHER


def test_a_bad_header_list_is_refused_at_configuration(run_python: Any) -> None:
    """A header name with a space stops django.setup() with the setting named."""
    run = run_python("import django; django.setup()", env={"OXLOG_REQUEST_HEADERS": "X Request"},
                     check=False)
    assert run.proc.returncode == 1
    assert "OXLOG_REQUEST_HEADERS='X Request' (from the environment) is not valid" in run.stderr
