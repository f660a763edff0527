"""The embedded broker: a worker never reads a message that is still being written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kombu import Connection

from oxlog.demo.broker import Channel


@pytest.fixture
def connection(tmp_path: Path) -> Connection:
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder),
               "control_folder": str(tmp_path / "control")}
    with Connection("filesystem://", transport="oxlog.demo.broker:Transport",
                    transport_options=options) as conn:
        yield conn


def test_a_message_is_put_whole_and_read_back(connection: Connection, tmp_path: Path) -> None:
    queue = connection.SimpleQueue("q")
    queue.put({"n": 1, "text": "x" * 100_000})
    files = list((tmp_path / "queue").iterdir())
    assert [f.suffix for f in files] == [".msg"]  # no partial file left behind
    json.loads(files[0].read_bytes())
    message = queue.get(timeout=2)
    assert message.payload == {"n": 1, "text": "x" * 100_000}
    message.ack()


def test_a_message_still_being_written_is_not_read(connection: Connection, tmp_path: Path) -> None:
    # A message being written, as this transport names it until it is whole: never read.
    (tmp_path / "queue" / Channel.partial_name()).write_bytes(b"")
    queue = connection.SimpleQueue("q2")
    with pytest.raises(queue.Empty):
        queue.get(timeout=0.3)
    queue.put({"n": 2})
    message = queue.get(timeout=2)
    assert message.payload == {"n": 2}
    message.ack()
