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
