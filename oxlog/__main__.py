"""Entry point for ``python -m oxlog``: runs the command-line tool."""

from __future__ import annotations

from oxlog.cli import main

raise SystemExit(main())
