"""The one settings object: every ``OXLOG_*`` setting, read and validated once.

Each setting is looked up, in this order, in the keyword arguments given to
:func:`oxlog.configure`, in the environment (``OXLOG_LEVEL=DEBUG``), in the Django
settings (``OXLOG_LEVEL = "DEBUG"`` in ``settings.py``) and finally in the defaults
below. The environment wins over ``settings.py`` so that an operator can change a
deployed service's logging without a code change, as twelve-factor apps expect.

A bad value raises :class:`ConfigurationError` at configuration time, naming the
setting, the value, where it came from and what is allowed. ``ConfigurationError``
is both Django's ``ImproperlyConfigured`` and a ``ValueError``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from oxlog import _schema
from oxlog._report import report

try:
    from django.core.exceptions import ImproperlyConfigured as _Base
except ImportError:  # pragma: no cover - Django is a dependency, but keep configure() usable
    _Base = Exception  # type: ignore[misc,assignment]


class ConfigurationError(_Base, ValueError):
    """A setting has a value oxlog cannot use; the message says which and how to fix it."""


LEVELS = _schema.LEVELS
CONSOLE_FORMATS = ("console", "json", "logfmt", "off")
FILE_FORMATS = ("json", "logfmt")
JSON_SCHEMAS = ("oxlog", "ecs", "gcp", "datadog")
STREAMS = ("stderr", "stdout")

DEFAULT_REDACT_KEYS = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "authorization",
    "cookie",
    "session",
    "csrf",
    "credential",
    "signature",
    "jwt",
)

#: Commands that run for a long time or host other work: they get no command
#: correlation ID (each request or task inside them gets its own).
DEFAULT_COMMANDS_EXCLUDE = (
    "runserver",
    "runserver_plus",
    "testserver",
    "shell",
    "shell_plus",
    "dbshell",
    "test",
    "celery",
)

#: Request headers an incoming correlation ID is read from, in order.
DEFAULT_REQUEST_HEADERS = _schema.REQUEST_HEADERS

#: Levels of oxlog's own lifecycle events; ``OXLOG_EVENT_LEVELS`` overrides any of them.
DEFAULT_EVENT_LEVELS: Mapping[str, str] = _schema.EVENT_LEVELS


@dataclass(frozen=True)
class Settings:
    """Validated oxlog settings. Build one with :meth:`Settings.load`."""

    dir: Path = Path("logs")
    level: str = "INFO"
    levels: Mapping[str, str] = field(default_factory=dict)
    console: str = "console"
    console_stream: str = "stderr"
    files: tuple[str, ...] = FILE_FORMATS
    service: str | None = None
    env: str | None = None
    message_key: str = "message"
    json_schema: str = "oxlog"
    #: Google Cloud project of ``logging.googleapis.com/trace`` (schema ``gcp``); unset:
    #: ``GOOGLE_CLOUD_PROJECT`` from the environment.
    gcp_project: str | None = None
    #: The application's version (``dd.version``, schema ``datadog``); unset: ``DD_VERSION``.
    version: str | None = None
    redact: bool = True
    redact_keys: tuple[str, ...] = DEFAULT_REDACT_KEYS
    celery: bool = True
    celery_plain_lines: bool = False
    task_log_result: bool = False
    task_id_prefix: bool = False
    event_levels: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_EVENT_LEVELS))
    commands: bool = True
    commands_exclude: tuple[str, ...] = DEFAULT_COMMANDS_EXCLUDE
    max_value_length: int = 0
    merge_logging: bool = True
    request_headers: tuple[str, ...] = DEFAULT_REQUEST_HEADERS

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None, *, django: bool = True) -> Settings:
        """Read every setting from *overrides*, the environment and Django, and validate it.

        A keyword that names no setting (``configure(levle="DEBUG")``) is an error too,
        naming it and the known ones: ignored, it would leave the setting at its default
        with nothing said.
        """
        if overrides:
            _check_names(overrides)
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = "OXLOG_" + f.name.upper()
            found = _lookup(f.name, name, overrides or {}, django)
            if found is not None:
                source, raw = found
                values[f.name] = _PARSERS[f.name](name, raw, source)
        for attr, fallback in (("gcp_project", "GOOGLE_CLOUD_PROJECT"), ("version", "DD_VERSION")):
            if values.get(attr) is None and os.environ.get(fallback):
                values[attr] = _PARSERS[attr](fallback, os.environ[fallback], "environment")
        if values.get("json_schema") == "gcp" and values.get("gcp_project") is None:
            raise ConfigurationError(
                "OXLOG_JSON_SCHEMA='gcp' needs the Google Cloud project ID, for the trace "
                "field (logging.googleapis.com/trace = projects/PROJECT/traces/ID). Fix: set "
                "OXLOG_GCP_PROJECT (or GOOGLE_CLOUD_PROJECT in the environment) to the "
                "project ID.")
        settings = cls(**values)
        if "event_levels" in values:
            merged = {**DEFAULT_EVENT_LEVELS, **values["event_levels"]}
            settings = replace(settings, event_levels=merged)
        return settings

    def __post_init__(self) -> None:
        # Derived once per settings object: event_level runs for every task event.
        numbers = {k: int(getattr(logging, v)) for k, v in self.event_levels.items()}
        object.__setattr__(self, "_event_numbers", numbers)

    @property
    def level_number(self) -> int:
        """The root level as a number."""
        return int(getattr(logging, self.level))

    def event_level(self, event: str) -> int:
        """The level (a number) at which oxlog logs its lifecycle *event*."""
        return self._event_numbers.get(event, logging.INFO)  # type: ignore[attr-defined,no-any-return]

    def check_dir(self) -> None:
        """Create the log directory if files are on; fail clearly if it cannot be written."""
        if not self.files:
            return
        try:
            path = self.dir.resolve()
            # Each missing directory 0o755 minus the umask, never 0o777 minus it
            # (``parents=True`` gives the parents 0o777: world-writable under umask 0).
            for parent in [*reversed(path.parents), path]:
                if not parent.is_dir():
                    parent.mkdir(mode=0o755, exist_ok=True)
        except (OSError, ValueError) as exc:  # ValueError: a NUL the parser did not see
            raise _unwritable(self.dir, exc) from None
        if not os.access(path, os.W_OK | os.X_OK):
            raise _unwritable(path, PermissionError("permission denied"))


_current: Settings | None = None


def current_settings() -> Settings:
    """The settings oxlog was configured with in this process (or the one it forked
    from), or freshly loaded ones."""
    return _current or Settings.load()


def is_configured() -> bool:
    """Whether oxlog configured logging in this process (or the one it forked from)."""
    return _current is not None


def set_current(settings: Settings) -> None:
    """Record *settings* as the ones in force (``oxlog._configure.apply`` does), and tell
    the parts that were set up for the previous ones (:func:`on_configure`)."""
    global _current
    _current = settings
    for callback in list(_listeners):
        try:
            callback(settings)
        except Exception as exc:  # a listener must not undo the configuration
            report(f"on-configure:{getattr(callback, '__name__', callback)}",
                   f"{getattr(callback, '__qualname__', callback)} failed after configuration "
                   f"({type(exc).__name__}: {exc})")


_listeners: list[Callable[[Settings], None]] = []


def on_configure(callback: Callable[[Settings], None]) -> None:
    """Call *callback* with the new settings each time oxlog is configured (once per
    callback however often this runs): the Celery receivers connect the receivers the
    new event levels need. Here so that configuring needs no Celery import."""
    if callback not in _listeners:
        _listeners.append(callback)


def _unwritable(path: Path, exc: OSError | ValueError) -> ConfigurationError:
    reason = getattr(exc, "strerror", None) or exc
    return ConfigurationError(
        f"OXLOG_DIR={str(path)!r} is not a writable directory ({type(exc).__name__}: "
        f"{reason}). Point OXLOG_DIR at a directory this process can write, "
        "or set OXLOG_FILES='none' to log to the console only."
    )


def _check_names(overrides: Mapping[str, Any]) -> None:
    """Refuse a keyword of ``configure()`` that names no setting (``levle=``)."""
    known = {f.name for f in fields(Settings)}
    unknown = [k for k in overrides
               if not (isinstance(k, str) and (k in known or (k.startswith("OXLOG_")
                                                              and k[6:].lower() in known
                                                              and k[6:].isupper())))]
    if unknown:
        names = ", ".join(repr(k)[:60] for k in unknown)
        raise ConfigurationError(
            f"unknown setting {names} (a configure() argument). Known settings: "
            f"{', '.join(sorted(known))} (or their OXLOG_ names, such as OXLOG_LEVEL)."
        )


def _lookup(
    attr: str, name: str, overrides: Mapping[str, Any], django: bool
) -> tuple[str, Any] | None:
    if attr in overrides:
        return "configure() argument", overrides[attr]
    if name in overrides:
        return "configure() argument", overrides[name]
    if name in os.environ:
        return "environment", os.environ[name]
    if django:
        value = _django_setting(name)
        if value is not _MISSING:
            return "Django settings", value
    return None


_MISSING = object()


def _django_setting(name: str) -> Any:
    try:
        from django.conf import settings
    except ImportError:  # pragma: no cover
        return _MISSING
    if not settings.configured:
        return _MISSING
    return getattr(settings, name, _MISSING)


def _fail(name: str, raw: Any, source: str, allowed: str) -> ConfigurationError:
    return ConfigurationError(f"{name}={raw!r} (from the {source}) is not valid: {allowed}.")


def _as_str(name: str, raw: Any, source: str) -> str:
    if not isinstance(raw, str):
        raise _fail(name, raw, source, "use a string")
    return raw


def _choice(options: tuple[str, ...]) -> Callable[[str, Any, str], str]:
    def parse(name: str, raw: Any, source: str) -> str:
        value = _as_str(name, raw, source).strip().lower()
        if value not in options:
            raise _fail(name, raw, source, "use one of " + ", ".join(repr(o) for o in options))
        return value

    return parse


def _level(name: str, raw: Any, source: str) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool):
        named = logging.getLevelName(raw)
        if named in LEVELS:
            return str(named)
    if isinstance(raw, str) and raw.strip().upper() in (*LEVELS, "WARN"):
        value = raw.strip().upper()
        return "WARNING" if value == "WARN" else value
    raise _fail(name, raw, source, "use a log level: " + ", ".join(LEVELS))


def _mapping_of_levels(name: str, raw: Any, source: str) -> dict[str, str]:
    items: Any = raw
    if isinstance(raw, str):
        try:
            items = dict(p.split("=", 1) for p in raw.replace(";", ",").split(",") if p.strip())
        except ValueError:
            raise _fail(name, raw, source, "write 'logger=LEVEL,other.logger=LEVEL'") from None
    if not isinstance(items, Mapping):
        raise _fail(name, raw, source, "use a dict of logger name to level")
    return {str(k).strip(): _level(f"{name}[{k!r}]", v, source) for k, v in items.items()}


def _files(name: str, raw: Any, source: str) -> tuple[str, ...]:
    parts = [p.strip().lower() for p in raw.split(",")] if isinstance(raw, str) else raw
    if not isinstance(parts, (list, tuple, set, frozenset)):
        raise _fail(name, raw, source, "use a list such as ['json', 'logfmt'], or 'none'")
    chosen = [str(p).strip().lower() for p in parts if str(p).strip()]
    if chosen in ([], ["none"], ["off"]):
        return ()
    bad = [p for p in chosen if p not in FILE_FORMATS]
    if bad:
        raise _fail(name, raw, source, "use any of 'json', 'logfmt', or 'none'")
    return tuple(f for f in FILE_FORMATS if f in chosen)


def _bool(name: str, raw: Any, source: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(raw, str) and raw.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise _fail(name, raw, source, "use True or False ('1'/'0', 'true'/'false' in the environment)")


def _optional_str(name: str, raw: Any, source: str) -> str | None:
    if raw is None:
        return None
    value = _as_str(name, raw, source).strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise _fail(name, raw, source, "use printable characters only")
    return value or None


def _project_id(name: str, raw: Any, source: str) -> str | None:
    value = _optional_str(name, raw, source)
    if value is not None and (not value.isascii() or any(c in value for c in " /\"'")):
        raise _fail(name, raw, source, "use the Google Cloud project ID, such as 'my-project-123'")
    return value


def _message_key(name: str, raw: Any, source: str) -> str:
    value = _as_str(name, raw, source).strip()
    if value not in _schema.MESSAGE_KEYS:
        raise _fail(name, raw, source, "use 'message' (the default), 'event' or 'msg'")
    return value


def _names(name: str, raw: Any, source: str) -> tuple[str, ...]:
    parts = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(parts, (list, tuple, set, frozenset)):
        raise _fail(name, raw, source, "use a list of names")
    return tuple(str(p).strip().lower() for p in parts if str(p).strip())


def _event_levels(name: str, raw: Any, source: str) -> dict[str, str]:
    levels = _mapping_of_levels(name, raw, source)
    unknown = sorted(set(levels) - set(DEFAULT_EVENT_LEVELS))
    if unknown:
        raise _fail(name, raw, source, "known events are " + ", ".join(DEFAULT_EVENT_LEVELS))
    return levels


def _path(name: str, raw: Any, source: str) -> Path:
    try:
        path = Path(raw).expanduser() if isinstance(raw, (str, os.PathLike)) else None
    except (TypeError, ValueError, RuntimeError):  # bytes from __fspath__, no home directory
        path = None
    if path is None or not str(path).strip() or "\x00" in str(path):
        raise _fail(name, raw, source, "use a directory path (without NUL characters)")
    return path


def _non_negative_int(name: str, raw: Any, source: str) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise _fail(name, raw, source, "use a whole number of characters (0 = no limit)") from None
    if value < 0 or isinstance(raw, bool):
        raise _fail(name, raw, source, "use a whole number of characters (0 = no limit)")
    return value


def _header_names(name: str, raw: Any, source: str) -> tuple[str, ...]:
    parts = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(parts, (list, tuple)) or not all(isinstance(p, str) for p in parts):
        raise _fail(name, raw, source, "use a list of header names, such as "
                    "['Correlation-ID', 'X-Request-ID']")
    names = tuple(p.strip() for p in parts if p.strip())
    bad = [n for n in names if not n.replace("-", "").replace("_", "").isalnum() or not n.isascii()]
    if bad or not names:
        raise _fail(name, raw, source, "use header names of letters, digits and '-', "
                    "such as 'X-Request-ID' (at least one)")
    return names


_PARSERS: dict[str, Callable[[str, Any, str], Any]] = {
    "dir": _path,
    "level": _level,
    "levels": _mapping_of_levels,
    "console": _choice(CONSOLE_FORMATS),
    "console_stream": _choice(STREAMS),
    "files": _files,
    "service": _optional_str,
    "env": _optional_str,
    "message_key": _message_key,
    "json_schema": _choice(JSON_SCHEMAS),
    "gcp_project": _project_id,
    "version": _optional_str,
    "redact": _bool,
    "redact_keys": _names,
    "celery": _bool,
    "celery_plain_lines": _bool,
    "task_log_result": _bool,
    "task_id_prefix": _bool,
    "event_levels": _event_levels,
    "commands": _bool,
    "commands_exclude": _names,
    "max_value_length": _non_negative_int,
    "merge_logging": _bool,
    "request_headers": _header_names,
}
