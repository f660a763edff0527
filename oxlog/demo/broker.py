"""The embedded broker of the demo and the tests: kombu's filesystem transport, whole messages only.

kombu's filesystem transport (5.x) creates a message file and then writes into it; a
worker polling the folder in between moves and reads an empty file and stops with
"Unrecoverable error: JSONDecodeError" (seen on a loaded CI machine). This transport
writes each message under a name no reader matches (no queue name in it: kombu 5.3
matches any file *containing* ``.QUEUE.msg``, 5.4+ the part after the first dot) and
renames it into place once it is complete: a rename within a folder is atomic on POSIX,
so a reader sees a whole message or none. Everything else is kombu's. Use it with
``broker_url = "filesystem://"`` and ``broker_transport = "oxlog.demo.broker:Transport"``.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    """kombu's filesystem channel with an atomic ``_put``."""

    @staticmethod
    def partial_name() -> str:
        """The name a message is written under until it is whole: no reader takes it."""
        return f".{uuid.uuid4().hex}.part"

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, self.partial_name())
        try:
            with open(partial, "wb", buffering=0) as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    """kombu's filesystem transport, with :class:`Channel`."""

    Channel = Channel
