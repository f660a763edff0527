"""``logging.Formatter`` classes for ``LOGGING``: ``json_formatter``, ``key_value``, ``plain_console``.

Each one turns a record into oxlog's event dict (:func:`oxlog._event.event_from_record`,
built once per record however many handlers format it) and renders it. oxlog's
handlers call :meth:`OxlogFormatter.render_event` directly for structlog events,
which never become ``LogRecord`` objects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from oxlog import renderers
from oxlog._event import event_from_record, fallback_event, options, with_headroom
from oxlog._report import report

Renderer = Callable[[Mapping[str, Any]], str]


class OxlogFormatter(logging.Formatter):
    """Format records (and structlog events) with one of oxlog's renderers."""

    def __init__(self, renderer: Renderer) -> None:
        super().__init__()
        self.renderer = renderer

    def format(self, record: logging.LogRecord) -> str:
        """Render *record* as one line; never raises.

        Handlers other than oxlog's (a ``StreamHandler``, pytest's, Sentry's) call
        this: an exception here would reach ``Handler.handleError``, which prints
        the record's arguments — secrets included — to stderr. A record that cannot
        be rendered gives a placeholder line instead, reported once.
        """
        try:
            return self.render_event(event_from_record(record))
        except Exception as exc:
            return self.render_fallback(None, record, exc)

    def render_fallback(self, event_dict: Mapping[str, Any] | None,
                        record: logging.LogRecord | None, exc: BaseException) -> str:
        """The line written for a record that could not be rendered (reported once)."""
        return fallback_line(self, event_dict, record, exc)

    def render_event(self, event_dict: Mapping[str, Any], colors: bool = False) -> str:
        """Render an event dict as one line."""
        return self.renderer(event_dict)


class JSONFormatter(OxlogFormatter):
    """One JSON object per line in *schema*: oxlog's, ``ecs`` (Elastic Common Schema),
    ``gcp`` (Google Cloud Logging; needs *gcp_project*) or ``datadog`` (*service*, *env*
    and *version* give ``dd.service``, ``dd.env``, ``dd.version``)."""

    def __init__(self, schema: str = "oxlog", message_key: str | None = None, *,
                 gcp_project: str | None = None, service: str | None = None,
                 env: str | None = None, version: str | None = None) -> None:
        key = message_key or options.message_key
        renderer: Renderer
        if schema == "ecs":
            renderer = renderers.ECSRenderer(key)
        elif schema == "gcp":
            renderer = renderers.GCPRenderer(gcp_project or "", key)
        elif schema == "datadog":
            renderer = renderers.DatadogRenderer(service, env, version, key)
        else:  # oxlog's own schema goes straight to the encoder (JSONRenderer is dumps)
            renderer = renderers.dumps
        super().__init__(renderer)


class LogfmtFormatter(OxlogFormatter):
    """logfmt, as go-logfmt writes it (what Loki, Promtail and lnav read)."""

    def __init__(self) -> None:
        super().__init__(renderers.LogfmtRenderer())


class ConsoleFormatter(OxlogFormatter):
    """Aligned, optionally coloured columns for people; colours are the handler's call."""

    def __init__(self, message_key: str | None = None) -> None:
        key = message_key or options.message_key
        super().__init__(renderers.ConsoleRenderer(colors=False, message_key=key))
        self._colored = renderers.ConsoleRenderer(colors=True, message_key=key)

    def render_event(self, event_dict: Mapping[str, Any], colors: bool = False) -> str:
        """Render with colours when the handler's stream is a terminal."""
        return (self._colored if colors else self.renderer)(event_dict)


def fallback_line(formatter: OxlogFormatter | None, event_dict: Mapping[str, Any] | None,
                  record: logging.LogRecord | None, exc: BaseException) -> str:
    """The one line written for a record that could not be rendered, and its one report.

    A record that failed for want of frames (logged near the recursion limit) is rendered
    again with :data:`oxlog._event.HEADROOM` more frames, and written whole. Otherwise the
    stand-in (:func:`oxlog._event.fallback_event`) is rendered by *formatter* when it can
    be, else as JSON, else as a fixed line; this never raises.
    """
    if isinstance(exc, RecursionError):
        try:
            return with_headroom(_render_whole, formatter, event_dict, record)
        except Exception:
            pass
    report(f"render:{type(exc).__name__}",
           f"a record could not be rendered ({type(exc).__name__}); "
           "a placeholder line was written instead")
    try:
        return with_headroom(_render_stand_in, formatter, event_dict, record, exc)
    except Exception:
        return _LAST_RESORT


#: The line of a record whose stand-in could not be rendered either (a plain JSON object
#: every output's reader accepts as one line).
_LAST_RESORT = '{"level":"error","oxlog_error":"this record could not be rendered"}'


def _render_whole(formatter: OxlogFormatter | None, event_dict: Mapping[str, Any] | None,
                  record: logging.LogRecord | None) -> str:
    if formatter is None:
        raise LookupError("no formatter")
    if event_dict is None:
        if record is None:
            raise LookupError("no record")
        event_dict = event_from_record(record)
    return formatter.render_event(event_dict)


def _render_stand_in(formatter: OxlogFormatter | None, event_dict: Mapping[str, Any] | None,
                     record: logging.LogRecord | None, exc: BaseException) -> str:
    stand_in = fallback_event(event_dict, record, exc)
    if formatter is not None:
        try:
            return formatter.render_event(stand_in)
        except Exception:
            pass
    return renderers.dumps(stand_in)
