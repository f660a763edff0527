"""Which correlation IDs oxlog accepts from a header or a message: canonical shapes only."""

from __future__ import annotations

import random
import re
import uuid

import pytest

from oxlog import correlation

#: The rule, as the docs state it.
CANONICAL = re.compile(
    r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


@pytest.mark.parametrize("value", [
    uuid.uuid4().hex, uuid.uuid4().hex.upper(), str(uuid.uuid4()), str(uuid.uuid4()).upper(),
    "0" * 32, "00000000-0000-0000-0000-000000000000",
])
def test_canonical_shapes_are_accepted(value: str) -> None:
    assert correlation.is_valid(value)


@pytest.mark.parametrize("value", [
    None, 12, b"0" * 32, "", "0" * 31, "0" * 33, "g" + "0" * 31, "0" * 31 + " ",
    " " + "0" * 31, "{" + str(uuid.uuid4())[1:-1] + "}", "urn:uuid:" + str(uuid.uuid4()),
    "0" * 15 + "\uff10" + "0" * 16,                       # a fullwidth digit
    "0" * 15 + "\u0660" + "0" * 16,                       # an Arabic-Indic digit
    "00000000-0000-0000-0000-00000000000-",               # a dash in the last group
    "000000000-000-0000-0000-000000000000",               # dashes in the wrong places
    "00000000-0000-0000-0000-0000-0000000",
    "00000000_0000_0000_0000_000000000000",
    "0000000000000000000000000000000\n",
    "0" * 1000,
])
def test_anything_else_is_refused(value: object) -> None:
    assert not correlation.is_valid(value)


def test_agrees_with_the_documented_pattern_on_random_near_misses() -> None:
    rng = random.Random(6)
    alphabet = "0123456789abcdefABCDEF-g xZ_\n\uff10\u0660"
    for _ in range(20_000):
        base = list(rng.choice([uuid.uuid4().hex, str(uuid.uuid4())]))
        for _ in range(rng.randint(0, 2)):  # mutate zero to two characters
            base[rng.randrange(len(base))] = rng.choice(alphabet)
        value = "".join(base)
        assert correlation.is_valid(value) == bool(CANONICAL.fullmatch(value)), value


def test_new_ids_are_canonical_and_distinct() -> None:
    ids = {correlation.new_correlation_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(correlation.is_valid(i) and CANONICAL.fullmatch(i) for i in ids)


def test_a_str_subclass_is_judged_by_its_characters() -> None:
    class Lying(str):
        def strip(self, chars: str | None = None) -> str:
            return ""

        def __len__(self) -> int:
            return 32

    assert not correlation.is_valid(Lying("not hex at all, not 32 long"))
    assert correlation.is_valid(Lying(uuid.uuid4().hex))
