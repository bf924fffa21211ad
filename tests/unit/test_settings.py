"""Every environment setting is declared once, validated at start and documented.

A bad value is one line naming the variable, the value and what it accepts; every variable the
package reads is declared in `Settings` and listed in the README's table with its default.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orderledger.storage.environment import Setting, declared
from orderledger.storage.settings import Settings, SettingsError

REPO = Path(__file__).resolve().parents[2]
DECLARED: dict[str, Setting] = {s.name: s for _, s in declared(Settings)}
# Read outside Settings, on purpose: the default of `orderledger bench --admin-url` (the bench
# makes its own databases on that server; its --help names it).
NOT_SETTINGS = {"ORDERLEDGER_BENCH_ADMIN_URL"}


def refusal(**environ: str) -> str:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(environ)
    return str(raised.value)


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("ORDERLEDGER_COMMAND_THREADS", "abc", "expected a whole number from 1 to 1024"),
        ("ORDERLEDGER_COMMAND_THREADS", "0", "expected a whole number from 1 to 1024"),
        ("ORDERLEDGER_COMMAND_THREADS", "-4", "expected a whole number from 1 to 1024"),
        ("ORDERLEDGER_COMMAND_THREADS", "2.5", "expected a whole number from 1 to 1024"),
        ("ORDERLEDGER_READ_POOL_SIZE", "eight", "expected a whole number from 1 to 1024"),
        ("ORDERLEDGER_READ_POOL_SIZE", "100000", "expected a whole number from 1 to 1024"),
        ("ORDERLEDGER_ERRORS_AS_200", "ture", "expected true or false"),
        ("ORDERLEDGER_ERRORS_AS_200", "enabled", "expected true or false"),
        ("ORDERLEDGER_DATABASE_URL", "mysql://db/x", "expected postgresql://"),
        ("ORDERLEDGER_DATABASE_URL", "postgresql://127.0.0.1", "it names no database"),
        ("ORDERLEDGER_DATA_DIR", "/etc/hostname", "expected a directory"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable_the_value_and_what_is_accepted(
    name: str, value: str, accepted: str
) -> None:
    message = refusal(**{name: value})
    assert message.startswith(f"{name}={value!r}: ")
    assert accepted in message
    assert "\n" not in message


def test_a_password_in_a_refused_url_is_not_repeated() -> None:
    message = refusal(ORDERLEDGER_DATABASE_URL="postgres://app:s3cret@db.internal")
    assert "s3cret" not in message
    assert "ORDERLEDGER_DATABASE_URL='postgres://app:***@db.internal'" in message


@pytest.mark.parametrize("spelling", ["true", "TRUE", "1", "yes", "y", "on", " True "])
def test_errors_as_200_is_on_for_the_documented_spellings_of_true(spelling: str) -> None:
    assert Settings.from_env({"ORDERLEDGER_ERRORS_AS_200": spelling}).errors_as_200 is True


@pytest.mark.parametrize("spelling", ["false", "False", "0", "no", "n", "off", ""])
def test_errors_as_200_is_off_for_the_documented_spellings_of_false(spelling: str) -> None:
    assert Settings.from_env({"ORDERLEDGER_ERRORS_AS_200": spelling}).errors_as_200 is False


def test_unset_or_empty_settings_take_their_defaults() -> None:
    assert Settings.from_env({}) == Settings.from_env({name: " " for name in DECLARED})
    settings = Settings.from_env({})
    assert settings.postgres is None
    assert (settings.command_threads, settings.read_pool_size) == (16, 8)
    assert settings.errors_as_200 is False
    assert settings == Settings()  # the defaults in code are the declared ones


def test_the_data_directory_is_made_absolute_from_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({}).data_dir == tmp_path.resolve() / "var"
    given = Settings.from_env({"ORDERLEDGER_DATA_DIR": "store/../data"})
    assert given.data_dir == tmp_path.resolve() / "data"
    assert str(tmp_path.resolve() / "data") in given.describe()


def test_a_good_value_is_read() -> None:
    settings = Settings.from_env(
        {
            "ORDERLEDGER_COMMAND_THREADS": "4",
            "ORDERLEDGER_READ_POOL_SIZE": " 2 ",
            "ORDERLEDGER_DATABASE_URL": "postgresql://app@db.internal:6432/ledger?sslmode=require",
        }
    )
    assert (settings.command_threads, settings.read_pool_size) == (4, 2)
    assert settings.postgres is not None
    assert (settings.postgres.host, settings.postgres.port) == ("db.internal", 6432)
    assert settings.postgres.dbname == "ledger"


def variables_in(text: str) -> set[str]:
    return set(re.findall(r"ORDERLEDGER_[A-Z0-9][A-Z0-9_]*", text))


def test_every_variable_the_package_reads_is_a_declared_setting() -> None:
    package = REPO / "orderledger"
    named = set().union(*(variables_in(p.read_text()) for p in package.rglob("*.py")))
    assert named - NOT_SETTINGS <= set(DECLARED)


def readme_settings() -> dict[str, str]:
    """The README's table of settings: each variable and its row."""
    rows = {}
    for line in (REPO / "README.md").read_text().splitlines():
        found = re.match(r"\| `(ORDERLEDGER_[A-Z0-9_]+)` \|", line)
        if found:
            rows[found.group(1)] = line
    return rows


def test_the_readme_lists_every_setting_with_its_default_and_no_other() -> None:
    rows = readme_settings()
    assert set(rows) == set(DECLARED)
    for name, row in rows.items():
        default = DECLARED[name].default
        last_cell = row.rstrip(" |").rsplit("|", 1)[1].strip()
        assert last_cell == (f"`{default}`" if default else "unset"), row


def test_help_lists_every_setting_with_its_default() -> None:
    from orderledger.cli.main import parser

    text = parser().format_help()
    for name, declared_setting in DECLARED.items():
        assert name in text
        if declared_setting.default:
            assert f"(default: {declared_setting.default})" in text


def test_the_console_secret_is_long_enough_and_never_shown() -> None:
    secret = "s3cret-" * 6
    settings = Settings.from_env({"ORDERLEDGER_CONSOLE_SECRET": secret})
    assert settings.console_secret == secret
    assert secret not in repr(settings)
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"ORDERLEDGER_CONSOLE_SECRET": "short-one"})
    assert "ORDERLEDGER_CONSOLE_SECRET" in str(refused.value)
    assert "at least 32 characters" in str(refused.value)
    assert "short-one" not in str(refused.value)
