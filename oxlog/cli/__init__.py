"""The ``oxlog`` command-line tool: answers questions from json.log files.

Each subcommand lives in its own module of this package with two functions:
``add_parser(subparsers)`` registers it (and sets ``run`` as the parser default) and
``run(args) -> int`` carries it out. ``main`` loads the modules named in ``COMMANDS``;
one that does not exist yet (``demo``) is left out of the parser.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from oxlog.cli.errors import EXIT_USAGE, CliError

COMMANDS = ("trace", "lost", "stats", "demo")
OPTIONAL = frozenset(("demo",))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    parser = build_parser()
    args = parse(parser, argv)
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        code: int = args.run(args)
    except CliError as error:
        sys.stderr.write(f"oxlog: {error}\n")
        return error.exit_code
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130
    return code


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse, letting FILES come before or after options (``trace ID --json a.log b.log``)."""
    args, extras = parser.parse_known_args(argv)
    unknown = [extra for extra in extras if extra.startswith("-") and extra != "-"]
    if unknown or (extras and not isinstance(getattr(args, "files", None), list)):
        parser.error(f"unrecognized arguments: {' '.join(unknown or extras)}")
    if extras:
        args.files.extend(extras)
    return args


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with one subparser per available command module."""
    parser = argparse.ArgumentParser(prog="oxlog", description="Answer questions from oxlog json.log files.")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in command_modules():
        module.add_parser(subparsers)
    return parser


def command_modules() -> list[ModuleType]:
    """Import the command modules; an optional one that is not written yet is skipped."""
    modules = []
    for name in COMMANDS:
        qualified = f"{__name__}.{name}"
        try:
            modules.append(importlib.import_module(qualified))
        except ModuleNotFoundError as error:
            if name not in OPTIONAL or error.name != qualified:
                raise
    return modules
