"""Plain text tables with aligned columns."""

from __future__ import annotations

from collections.abc import Sequence


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int] | None = None) -> str:
    """Return a table: a header, a rule, then the rows; columns in ``right`` align right."""
    right = right or set()
    widths = [len(header) for header in headers]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    lines = [_row(headers, widths, right), "  ".join("-" * width for width in widths)]
    lines.extend(_row(row, widths, right) for row in rows)
    return "\n".join(lines)


def _row(cells: Sequence[str], widths: Sequence[int], right: set[int]) -> str:
    """Return one padded row."""
    padded = [
        cell.rjust(width) if index in right else cell.ljust(width)
        for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
    ]
    return "  ".join(padded).rstrip()
