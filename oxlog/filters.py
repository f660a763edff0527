"""Logging filters: the workflow context for the application's own handlers, and the
fields of servers' access lines. (The filters of Celery's lines are in ``oxlog.celery.filters``.)"""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from typing import Any

from oxlog import _schema, context, correlation
from oxlog._event import event_from_record

#: Event keys that are not record attributes to add: the head and oxlog's text renderings.
_NOT_ATTRIBUTES = frozenset({*_schema.HEAD_KEYS, *_schema.MESSAGE_KEYS, *_schema.TAIL_KEYS})


class AddWorkflowContext(logging.Filter):
    """Give the application's own handlers the fields oxlog writes, as record attributes.

    ``correlation_id`` is always set (``None`` outside a workflow, as django-guid's own
    filter does), so a ``%(correlation_id)s`` format never fails; ``request_id``, the
    task fields, ``service``, ``env`` and what the code bound are set when they have a
    value. Attributes the record has already (``extra=`` keys) are left as they are.
    The event is built once per record and shared with oxlog's handlers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the context to *record*; never drops it."""
        try:
            event = event_from_record(record)
            attrs = record.__dict__
            for key, value in event.items():
                if key not in attrs and key not in _NOT_ATTRIBUTES:
                    attrs[key] = value
            attrs.setdefault("correlation_id", None)
        except Exception:  # a failure here must not cost the application its line
            pass
        return True


class AccessLineFields(logging.Filter):
    """Add ``method``, ``path``, ``status_code``, ``size`` and ``duration_ms`` to a
    server's access line: runserver's (``django.server``), gunicorn's
    (``gunicorn.access``) and uvicorn's (``uvicorn.access``).

    Each server logs its line after the application returned; when the request's
    context is gone by then, the correlation ID is taken from the response header
    where the server passes the headers (gunicorn). runserver passes its socket as
    ``request``: it is dropped (the field would be the socket's repr), as is
    uvicorn's ``color_message`` (the message again, with terminal colours).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the fields the server's arguments hold; never drops the record."""
        try:
            attrs = record.__dict__
            if isinstance(attrs.get("request"), socket.socket):
                del attrs["request"]
            attrs.pop("color_message", None)  # uvicorn's copy of the message with ANSI colours
            args = record.args
            if isinstance(args, Mapping):
                _gunicorn_fields(attrs, args)
            elif isinstance(args, tuple):
                if record.name == "uvicorn.access" and len(args) == 5:
                    attrs.update(method=args[1], path=args[2], status_code=args[4])
                elif record.name == "django.server" and len(args) == 3:
                    method, _, rest = str(args[0]).partition(" ")
                    attrs.update(method=method, path=rest.rsplit(" ", 1)[0])
                    if str(args[2]).isdigit():
                        attrs["size"] = int(str(args[2]))
        except Exception:
            pass
        return True


def _gunicorn_fields(attrs: dict[str, Any], atoms: Mapping[str, Any]) -> None:
    """gunicorn's access atoms (``m``, ``U``, ``s``, ``B``, ``D``, response headers ``{x}o``)."""
    attrs.update(method=atoms.get("m"), path=atoms.get("U"))
    status = str(atoms.get("s", ""))
    if status.isdigit():
        attrs["status_code"] = int(status)
    if str(atoms.get("B", "")).isdigit():
        attrs["size"] = int(atoms["B"])
    if str(atoms.get("D", "")).isdigit():
        attrs["duration_ms"] = int(atoms["D"]) / 1000
    if context.current_correlation_id() is None:
        sent = atoms.get(f"{{{correlation.guid_header_name().lower()}}}o")
        if correlation.is_valid(sent):
            attrs["correlation_id"] = sent
