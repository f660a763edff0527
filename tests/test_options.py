"""The settings object: every OXLOG_* value read once, bad ones refused with a clear message."""

from __future__ import annotations

import pytest

from oxlog._options import ConfigurationError, Settings


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("OXLOG_LEVEL", "LOUD", "use a log level: DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("OXLOG_CONSOLE", "fancy", "use one of 'console', 'json', 'logfmt', 'off'"),
        ("OXLOG_FILES", "json,xml", "use any of 'json', 'logfmt', or 'none'"),
        ("OXLOG_JSON_SCHEMA", "gelf", "use one of 'oxlog', 'ecs', 'gcp', 'datadog'"),
        ("OXLOG_MESSAGE_KEY", "text", "use 'message' (the default), 'event' or 'msg'"),
        ("OXLOG_LEVELS", "django.db", "write 'logger=LEVEL,other.logger=LEVEL'"),
        ("OXLOG_REDACT", "maybe", "use True or False"),
        ("OXLOG_EVENT_LEVELS", "task_exploded=ERROR", "known events are"),
        ("OXLOG_MAX_VALUE_LENGTH", "-3", "use a whole number of characters"),
        ("OXLOG_SERVICE", "shop\nlevel=error", "use printable characters only"),
    ],
)
def test_bad_environment_value_names_setting_value_and_fix(
        monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str) -> None:
    """A bad value fails at configuration time, naming the setting, the value and the choices."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as info:
        Settings.load(django=False)
    message = str(info.value)
    assert message.startswith(f"{name}={value!r} (from the environment) is not valid")
    assert expected in message


def test_configuration_error_is_both_improperly_configured_and_value_error() -> None:
    """Django code catches ImproperlyConfigured, plain Python code catches ValueError."""
    from django.core.exceptions import ImproperlyConfigured

    assert issubclass(ConfigurationError, ImproperlyConfigured)
    assert issubclass(ConfigurationError, ValueError)


def test_configure_arguments_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """configure() arguments > environment > defaults."""
    monkeypatch.setenv("OXLOG_LEVEL", "ERROR")
    monkeypatch.setenv("OXLOG_FILES", "none")
    settings = Settings.load({"level": "debug"}, django=False)
    assert (settings.level, settings.files) == ("DEBUG", ())


def test_unwritable_directory_is_refused_with_the_path(tmp_path: object) -> None:
    """A log directory that cannot be made fails clearly, and suggests OXLOG_FILES='none'."""
    blocker = __import__("pathlib").Path(str(tmp_path)) / "a-file"
    blocker.write_text("x")
    settings = Settings.load({"dir": str(blocker / "logs")}, django=False)
    with pytest.raises(ConfigurationError, match=r"OXLOG_DIR=.*a-file/logs.* is not a writable "
                                                 r"directory .*OXLOG_FILES='none'"):
        settings.check_dir()


def test_per_logger_levels_and_lists_parse_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """OXLOG_LEVELS='a=debug,b.c=WARN' and OXLOG_FILES='logfmt' parse to their values."""
    monkeypatch.setenv("OXLOG_LEVELS", "a=debug, b.c=WARN")
    monkeypatch.setenv("OXLOG_FILES", "logfmt")
    settings = Settings.load(django=False)
    assert settings.levels == {"a": "DEBUG", "b.c": "WARNING"}
    assert settings.files == ("logfmt",)


def test_bad_value_in_django_settings_fails_at_startup(run_python: object) -> None:
    """OXLOG_LEVEL = 'LOUD' in settings.py stops django.setup() with the message."""
    run = run_python("import django; django.setup()", settings="tests.project.settings",  # type: ignore[operator]
                     env={"OXLOG_LEVEL": "LOUD"}, check=False)
    assert run.proc.returncode != 0
    assert "OXLOG_LEVEL='LOUD' (from the environment) is not valid" in run.stderr
