"""The smallest oxlog program: configure, log three ways, see all three outputs.

``python -m oxlog.demo.minimal`` writes ``logs/json.log``, ``logs/flat_line.log``
and the console.
"""

from __future__ import annotations

import logging

import structlog

import oxlog


def main() -> None:
    """Log a structlog event, a plain logging line and an exception, inside a workflow."""
    oxlog.configure(service="minimal-demo", level="INFO")
    log = structlog.get_logger("demo")
    with oxlog.bound(correlation_id=oxlog.new_correlation_id()):
        log.info("order_placed", order_id=42, amount="19.90", password="not-logged")
        logging.getLogger("somelib").warning("a library line gets the same fields")
        try:
            {}["missing"]
        except KeyError:
            log.exception("lookup_failed", key="missing")
    print("\nwrote", oxlog.current_settings().dir.resolve() / "json.log", "and flat_line.log")


if __name__ == "__main__":
    main()
