"""The operator's command line, as typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.storage.credentials import Role
from orderledger.storage.settings import Settings
from tests.conftest import entry, use_settings

REPO = Path(__file__).resolve().parents[1]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_accounts_create_prints_the_key_alone_on_the_last_line_and_stores_only_its_hash(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    store: Store,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_settings(monkeypatch, settings)
    status, out, _ = run(capsys, "accounts", "create", "speedsmm", "--currency", "eur")
    assert status == 0
    key = out.strip().splitlines()[-1]
    assert len(key) == 32 and key.isalnum()
    assert "currency  EUR" in out and "billing   prepaid" in out and "balance   0.00000" in out
    assert store.credentials.find(key, Role.API) is not None
    with store.db.transaction() as cursor:
        cursor.execute("SELECT token_hash FROM orderledger_credentials")
        assert all(key not in str(row) for row in cursor.fetchall())
    notifications = store.ledger.recorder.select_notifications(start=None, limit=1000)
    assert all(key.encode() not in n.state for n in notifications)


def test_deposit_and_show(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    store: Store,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_settings(monkeypatch, settings)
    run(capsys, "accounts", "create", "net")
    status, out, _ = run(capsys, "accounts", "deposit", "net", "25.125")
    assert status == 0 and "balance   25.12500" in out
    status, out, _ = run(capsys, "accounts", "show", "net")
    assert status == 0 and "deposits  25.12500" in out


def test_postpaid_accounts_show_their_figure(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    store: Store,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_settings(monkeypatch, settings)
    status, out, _ = run(capsys, "accounts", "create", "panel", "--postpaid", "--balance", "10000")
    assert status == 0 and "billing   postpaid" in out and "shown     10000.00000" in out


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["accounts", "deposit", "nobody", "5"], "no account"),
        (["accounts", "deposit", "net", "-5"], "positive"),
        (["accounts", "deposit", "net", "abc"], "not a decimal"),
        (["accounts", "create", "net"], "already exists"),
        (["accounts", "create", "x", "--postpaid"], "--balance"),
        (["accounts", "create", "x", "--balance", "5"], "--postpaid"),
        (["accounts", "create", "x", "--currency", "dollars"], "three-letter"),
        (["services", "import", "/nonexistent.json"], "nonexistent"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    store: Store,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    reason: str,
) -> None:
    use_settings(monkeypatch, settings)
    run(capsys, "accounts", "create", "net")
    head = store.ledger.recorder.max_notification_id()
    status, _, err = run(capsys, *argv)
    assert status == 1 and reason in err
    assert store.ledger.recorder.max_notification_id() == head


def test_every_command_has_help() -> None:
    commands = [
        ["serve"],
        ["accounts", "create"],
        ["accounts", "deposit"],
        ["accounts", "show"],
        ["services", "import"],
        ["services", "list"],
    ]
    for command in commands:
        result = subprocess.run(
            [sys.executable, "-m", "orderledger.cli.main", *command, "--help"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0 and "usage: orderledger" in result.stdout, command


def test_the_standard_librarys_http_is_not_shadowed_from_the_repo_root() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import http.client; print(http.client.__file__)"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(REPO) not in result.stdout


def test_services_list_shows_every_service_by_number_disabled_ones_marked(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    store: Store,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_settings(monkeypatch, settings)
    store.ledger.sync_services([entry(2, refill=True), entry(1, cancel=True, name="Likes")])
    store.ledger.disable_services([2])
    status, out, _ = run(capsys, "services", "list")
    lines = out.strip().splitlines()
    assert status == 0 and len(lines) == 3
    assert lines[0].split()[0] == "1" and lines[0].endswith("--C  Likes")
    assert lines[1].split()[0] == "2" and lines[1].endswith("-R-  Service 2  [disabled]")
    assert lines[2] == "2 services, 1 enabled"
    store.ledger.add_upstream("bulk", "https://provider.example/api/v2")
    store.ledger.link_service(1, "bulk", 7599)
    status, out, _ = run(capsys, "services", "list")
    lines = out.strip().splitlines()
    assert lines[0].endswith("--C  Likes  -> bulk 7599")
    assert lines[2] == "2 services, 1 enabled, 1 fulfilled by upstreams (-> NAME ITS_ID)"
