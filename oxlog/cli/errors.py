"""Exceptions that end a command with a documented exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FOUND = 1
EXIT_USAGE = 2


class CliError(Exception):
    """An error shown as ``oxlog: <message>`` on stderr, ending with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        """Keep the message and the exit code the command ends with."""
        super().__init__(message)
        self.exit_code = exit_code
