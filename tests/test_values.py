"""oxlog._values: turning any value into something a line can hold, never raising."""

from __future__ import annotations

import enum
import math
from typing import Any

from oxlog._values import safe_repr, safe_str, sanitize, to_jsonable


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")

    def __str__(self) -> str:
        raise RuntimeError("str exploded")


class Flag(enum.IntEnum):
    ON = 1


def test_safe_str_and_repr_name_the_type_when_they_raise() -> None:
    """A raising __str__/__repr__ gives ``<unprintable Unprintable>``, not an exception."""
    assert safe_str(Unprintable()) == safe_repr(Unprintable()) == "<unprintable Unprintable>"


def test_huge_int_gives_its_size_instead_of_raising() -> None:
    """An int past Python's digit limit is written as a placeholder with its bit length."""
    assert to_jsonable(10**5000) == "<unprintable int: 16610 bits>"
    assert safe_repr(10**5000) == "<unprintable int: 16610 bits>"
    assert sanitize({"n": [10**5000]}) == {"n": ["<unprintable int: 16610 bits>"]}


def test_sanitize_writes_non_finite_floats_as_strings() -> None:
    """NaN and ±Infinity become "NaN", "Infinity", "-Infinity" at any depth."""
    assert sanitize([math.nan, {"a": math.inf}, (-math.inf,)]) == ["NaN", {"a": "Infinity"}, ["-Infinity"]]


def test_sanitize_stops_at_recursion() -> None:
    """A dict or list holding itself is cut with ``<recursive dict>`` / ``<recursive list>``."""
    d: dict[str, Any] = {}
    d["self"] = d
    lst: list[Any] = []
    lst.append(lst)
    assert sanitize(d) == {"self": "<recursive dict>"}
    assert sanitize(lst) == ["<recursive list>"]


def test_sanitize_keeps_colliding_keys_apart() -> None:
    """Keys 1 and "1" do not become one key: the second is prefixed with ``_``."""
    assert sanitize({1: "int", "1": "text"}) == {"1": "int", "_1": "text"}


def test_sanitize_replaces_only_the_unconvertible_value() -> None:
    """One bad value inside a container becomes a placeholder; its neighbours stay."""
    assert sanitize({"ok": 1, "bad": Unprintable()}) == {"ok": 1, "bad": "<unprintable Unprintable>"}


def test_int_enum_writes_its_value() -> None:
    """An IntEnum is written as its value, not its name."""
    assert to_jsonable(Flag.ON) == 1


def test_mixed_set_is_sorted_without_raising() -> None:
    """A set of ints and strings cannot be sorted directly: it is sorted by repr instead."""
    assert sorted(map(str, to_jsonable({1, "a", 2.5}))) == ["1", "2.5", "a"]
