"""The command line tells an operator plainly what is wrong, and asks before a sweeping change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account, use_settings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


UNKNOWN_NUMBERS = [
    (["orders", "start", "99", "--start-count", "1"], "no order 99"),
    (["orders", "deliver", "99", "--delivered", "1"], "no order 99"),
    (["orders", "complete", "99"], "no order 99"),
    (["orders", "partial", "99", "--remains", "1"], "no order 99"),
    (["orders", "cancel", "99"], "no order 99"),
    (["orders", "fail", "99", "--reason", "x"], "no order 99"),
    (["orders", "refund", "99"], "no order 99"),
    (["orders", "history", "99"], "no order 99"),
    (["refills", "start", "99"], "no refill 99"),
    (["refills", "complete", "99"], "no refill 99"),
    (["refills", "reject", "99"], "no refill 99"),
    (["refills", "fail", "99", "--reason", "x"], "no refill 99"),
    (["accounts", "show", "nobody"], "no account 'nobody'"),
    (["accounts", "deposit", "nobody", "5"], "no account 'nobody'"),
    (["accounts", "new-key", "nobody"], "no account 'nobody'"),
]


@pytest.mark.parametrize(
    ("argv", "said"), UNKNOWN_NUMBERS, ids=[" ".join(a) for a, _ in UNKNOWN_NUMBERS]
)
def test_an_unknown_order_refill_or_account_is_named_as_unknown_in_the_store_it_read(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    store: Store,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    said: str,
) -> None:
    use_settings(monkeypatch, settings)
    status, _, err = run(capsys, *argv)
    assert (status, err) == (1, f"error: {said} in {settings.describe()}\n")


@pytest.fixture
def five_services(monkeypatch: pytest.MonkeyPatch, settings: Settings, store: Store) -> None:
    """The command line on the test's store, whose catalogue lists five enabled services."""
    use_settings(monkeypatch, settings)
    store.ledger.sync_services([entry(n) for n in range(1, 6)])


def event_count(store: Store) -> int:
    return int(store.ledger.recorder.max_notification_id() or 0)


def write(tmp_path: Path, services: list[dict[str, object]]) -> Path:
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(services), encoding="utf-8")
    return path


def listed(number: int, **changes: object) -> dict[str, object]:
    """Service `number` as `entry(number)` lists it, with changes."""
    fields: dict[str, object] = {
        "service": number,
        "name": f"Service {number}",
        "type": "Default",
        "category": "Tests",
        "rate": "2.50",
        "min": 10,
        "max": 10000,
    }
    return fields | changes


def test_an_import_that_would_disable_most_of_the_catalogue_needs_yes(
    store: Store, five_services: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = event_count(store)
    empty = write(tmp_path, [])
    status, out, err = run(capsys, "services", "import", str(empty))
    assert status == 1
    assert "would add 0, change 0, enable 0, disable 5 of the 5 enabled services" in err
    assert "  disable  5  Service 5" in err
    assert err.splitlines()[-1] == (
        "error: this import would disable most of the catalogue; run it again with --yes "
        "to go ahead (or --dry-run to see every change)"
    )
    assert event_count(store) == head  # nothing recorded

    status, out, _ = run(capsys, "services", "import", str(empty), "--yes")
    assert status == 0 and "5 service(s) no longer in the file disabled" in out
    assert [s.enabled for n in range(1, 6) if (s := store.ledger.service(n))] == [False] * 5


def test_an_import_that_disables_a_few_services_goes_ahead_without_yes(
    store: Store, five_services: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, [listed(n) for n in range(1, 4)])  # disables 2 of 5
    status, out, _ = run(capsys, "services", "import", str(path))
    assert status == 0 and "2 service(s) no longer in the file disabled" in out


def test_a_dry_run_shows_each_change_and_records_nothing(
    store: Store, five_services: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store.ledger.disable_services([4])
    open_account(store)
    head = event_count(store)
    path = write(
        tmp_path,
        [
            listed(1),
            listed(2, rate="3.00", name="Followers HQ"),
            listed(4),
            listed(6, name="Brand new"),
            listed(7, name="Also new"),
        ],
    )
    status, out, _ = run(capsys, "services", "import", str(path), "--dry-run")
    assert status == 0
    assert out.splitlines() == [
        f"{path}: 5 services; the catalogue has 5, 4 of them enabled",
        "would add 2, change 1, enable 1, disable 2 of the 4 enabled services",
        "  add      6  Brand new",
        "  add      7  Also new",
        "  change   2  Followers HQ  (name, rate)",
        "  enable   4  Service 4",
        "  disable  3  Service 3",
        "  disable  5  Service 5",
        "dry run: nothing recorded",
    ]
    assert event_count(store) == head

    status, out, _ = run(capsys, "services", "import", str(path))
    assert status == 0
    assert store.ledger.service(2).name == "Followers HQ"  # type: ignore[union-attr]
    status, out, _ = run(capsys, "services", "import", str(path), "--dry-run")
    assert "would add 0, change 0, enable 0, disable 0 of the 5 enabled services" in out
