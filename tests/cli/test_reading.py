"""Input rules: default files and rotations, .gz, stdin, skipped lines, exit codes."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from oxlog.cli import build_parser, command_modules
from oxlog.cli.reading import (
    Skipped,
    iter_blocks,
    iter_matching_lines,
    parse_record,
    resolve_sources,
    rotation_chain,
)
from tests.cli.logbuilder import Runner, Scenario


def test_rotation_chain_is_oldest_first(tmp_path: Path) -> None:
    """json.log.3.gz, json.log.2.gz, json.log.1, then json.log."""
    for name in ("json.log", "json.log.1", "json.log.2.gz", "json.log.3.gz", "other.log"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in rotation_chain(tmp_path / "json.log")] == [
        "json.log.3.gz",
        "json.log.2.gz",
        "json.log.1",
        "json.log",
    ]


def test_default_files_are_logs_json_log_and_siblings(
    oxlog: Runner, scenario: Scenario, tmp_path: Path
) -> None:
    """Without FILES, logs/json.log and a gzipped rotation are read from the working directory."""
    logs = tmp_path / "project" / "logs"
    logs.mkdir(parents=True)
    shutil.copy(scenario.web, logs / "json.log")
    with gzip.open(logs / "json.log.1.gz", "wb") as out:
        out.write(scenario.worker.read_bytes())
    result = oxlog("trace", scenario.ids["D"], "--no-lines", cwd=logs.parent)
    assert result.returncode == 0, result.stderr
    assert "shop.tasks.d  failed" in result.stdout


def test_missing_default_log_exits_2(oxlog: Runner, tmp_path: Path) -> None:
    """No logs/json.log in the working directory is an error naming it."""
    result = oxlog("stats", cwd=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (2, "oxlog: no such log file: logs/json.log")


def test_skipped_lines_are_summarised_once(oxlog: Runner, scenario: Scenario) -> None:
    """Garbled, truncated and non-oxlog lines give one summary line on stderr."""
    result = oxlog("stats", str(scenario.web), str(scenario.worker))
    assert result.stderr.strip() == "oxlog: skipped 4 lines that are not oxlog records (2 not JSON)"


def test_stdin_stats(oxlog: Runner, scenario: Scenario) -> None:
    """``-`` reads lines piped in."""
    result = oxlog("stats", "-", stdin=scenario.worker.read_text())
    assert result.returncode == 0 and "shop.tasks.c2" in result.stdout


def test_parse_record_counts_kinds_of_skips() -> None:
    """Not-JSON and not-a-record lines are counted apart; blank lines are ignored."""
    skipped = Skipped()
    lines = [b"nope", b'{"a": 1}', b"", b'{"timestamp":"x","level":"info","message":"m"}']
    assert [parse_record(line, skipped) is not None for line in lines] == [False, False, False, True]
    assert (skipped.not_json, skipped.not_record) == (1, 1)


def test_matching_lines_across_block_boundaries(tmp_path: Path, monkeypatch: object) -> None:
    """Lines are found whole even when a read ends mid-line."""
    import oxlog.cli.reading as reading

    setattr(reading, "BLOCK_SIZE", 7)  # noqa: B010
    try:
        path = tmp_path / "f.log"
        path.write_bytes(b"aaaa needle bbbb\ncccc\ndd needle\n")
        found = list(iter_matching_lines(iter_blocks(resolve_sources([str(path)])), b"needle"))
    finally:
        setattr(reading, "BLOCK_SIZE", 8 << 20)  # noqa: B010
    assert found == [b"aaaa needle bbbb", b"dd needle"]


def test_demo_slot_is_optional() -> None:
    """The dispatcher loads trace, lost and stats and tolerates a missing demo module."""
    assert [m.__name__.rsplit(".", 1)[1] for m in command_modules()][:3] == ["trace", "lost", "stats"]
    assert "trace" in build_parser().format_help()


def test_no_command_prints_help_and_exits_2(oxlog: Runner) -> None:
    """``oxlog`` alone shows usage and exits 2."""
    result = oxlog()
    assert result.returncode == 2 and "trace" in result.stderr


def test_memory_mapped_search_finds_every_line_across_windows(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Lines containing the ID are found whole, wherever the mapping windows split the
    file, including a line longer than a window."""
    from oxlog.cli import reading

    monkeypatch.setattr(reading, "WINDOW", 8192)
    lines = []
    for i in range(3000):
        pad = "y" * (20000 if i == 1500 else i % 97)
        lines.append(f'{{"n":{i},"id":"{"needle" if i % 7 == 0 else "other"}","p":"{pad}"}}')
    path = tmp_path / "json.log"
    path.write_text("\n".join(lines) + "\n")
    found = list(reading.iter_lines_containing([reading.FileSource(path)], b"needle"))
    assert found == [line.encode() for line in lines if '"needle"' in line]


def test_a_truncated_gz_gives_its_lines_before_the_break_and_one_warning(
        oxlog: Runner, scenario: Scenario, tmp_path: Path) -> None:
    """A rotation cut short: the whole lines before the cut are read, then a warning, no traceback."""
    whole = gzip.compress(scenario.worker.read_bytes())
    cut = tmp_path / "json.log.1.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    result = oxlog("stats", str(cut))
    assert "Traceback" not in result.stderr
    assert result.stderr.count("the gzip data stops, it ends early (truncated)") == 1
    assert result.returncode == 0 and "shop.tasks." in result.stdout


def test_a_plain_file_named_gz_is_read_as_plain(oxlog: Runner, scenario: Scenario, tmp_path: Path) -> None:
    """The first bytes decide, not the name."""
    named = tmp_path / "json.log.2.gz"
    shutil.copy(scenario.worker, named)
    result = oxlog("stats", str(named))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "shop.tasks.c2" in result.stdout


def test_gzip_on_stdin_is_decompressed(oxlog: Runner, scenario: Scenario) -> None:
    """``cat json.log.gz | oxlog stats -`` reads the records."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "oxlog", "stats", "-"], capture_output=True,
                            input=gzip.compress(scenario.worker.read_bytes()), check=False)
    assert result.returncode == 0, result.stderr
    assert b"shop.tasks.c2" in result.stdout


def test_a_log_directory_reads_its_json_log_and_rotations(
        oxlog: Runner, scenario: Scenario, tmp_path: Path) -> None:
    """A directory argument means its json.log and the rotations beside it."""
    logs = tmp_path / "logs-dir"
    logs.mkdir()
    shutil.copy(scenario.web, logs / "json.log")
    with gzip.open(logs / "json.log.1.gz", "wb") as out:
        out.write(scenario.worker.read_bytes())
    result = oxlog("trace", scenario.ids["D"], "--no-lines", str(logs))
    assert result.returncode == 0, result.stderr
    assert "shop.tasks.d  failed" in result.stdout
    empty = tmp_path / "empty-dir"
    empty.mkdir()
    refused = oxlog("stats", str(empty))
    assert refused.returncode == 2 and "is a directory without a json.log" in refused.stderr


def _variant(record: dict[str, object], kind: str) -> str:
    """*record* as oxlog writes it with another setting, or as an aggregator exports it."""
    import json

    from oxlog.renderers import ECSRenderer

    if kind == "event":  # OXLOG_MESSAGE_KEY = "event"
        return json.dumps({("event" if k == "message" else k): v for k, v in record.items()})
    if kind == "ecs":  # OXLOG_JSON_SCHEMA = "ecs", rendered by oxlog's own renderer
        return ECSRenderer()(record)
    if kind == "elasticsearch":
        return json.dumps({"_index": "logs-oxlog", "_id": "x", "_source": record})
    return json.dumps({"line": json.dumps(record, separators=(",", ":")), "stream": "stdout"})


@pytest.mark.parametrize("kind", ["event", "ecs", "elasticsearch", "loki"])
def test_every_output_oxlog_writes_reads_the_same(kind: str, oxlog: Runner, scenario: Scenario,
                                                 tmp_path: Path) -> None:
    """trace, stats and lost give the same answers on each output as on the default one."""
    import json

    files = []
    for path in (scenario.web, scenario.worker):
        out = tmp_path / f"{kind}-{path.name}"
        lines = []
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and {"timestamp", "level", "message"} <= record.keys():
                lines.append(_variant(record, kind))
        out.write_text("\n".join(lines) + "\n")
        files.append(str(out))
    originals = [str(scenario.web), str(scenario.worker)]
    for args in (["stats", "--json"], ["trace", scenario.cid, "--json"],
                 ["lost", "--json", "--now", "2026-12-31T00:00:00Z"]):
        expected = oxlog(*args, *originals)
        got = oxlog(*args, *files)
        assert got.returncode == expected.returncode, (args, got.stderr)
        assert json.loads(got.stdout) == json.loads(expected.stdout), args
