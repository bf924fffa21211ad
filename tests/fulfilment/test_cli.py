"""Staff drive orders and refills from the command line, as bots do through /dispatch."""

from __future__ import annotations

from uuid import UUID

import pytest

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.storage.credentials import Role
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account, use_settings
from tests.fulfilment.support import caught_up


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    use_settings(monkeypatch, settings)


def place(store: Store, account: UUID, link: str, quantity: int = 1000) -> int:
    return store.ledger.place_order(account, 1, {"link": link, "quantity": quantity}).number


def test_operators_create_prints_a_working_token_on_its_last_line(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["operators", "create", "night-shift"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    found = store.credentials.find(token, Role.OPERATOR)
    assert found is not None and found.name == "night-shift"


def test_staff_claim_report_and_finish_orders(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store.ledger.sync_services([entry(1, refill=True), entry(2)])
    account, _ = open_account(store, deposit="100")
    first = place(store, account.id, "https://x/1")
    second = place(store, account.id, "https://x/2")
    caught_up(store)

    assert main(["orders", "claim", "--service", "1", "--limit", "5", "--operator", "ann"]) == 0
    out = capsys.readouterr().out
    assert f"order {first}  Processing" in out and f"order {second}  Processing" in out
    assert "claimed by ann" in out and "2 order(s) claimed by ann" in out

    assert main(["orders", "start", str(first), "--start-count", "40"]) == 0
    assert main(["orders", "deliver", str(first), "--delivered", "250"]) == 0
    assert "remains 750" in capsys.readouterr().out
    assert main(["orders", "partial", str(first), "--remains", "750"]) == 0
    assert f"order {first}  Partial" in capsys.readouterr().out
    assert main(["orders", "fail", str(second), "--reason", "private profile"]) == 0
    assert main(["orders", "refund", str(first)]) == 0
    assert f"order {first}  Refunded" in capsys.readouterr().out
    assert store.ledger.account(account.id).balance == 100


def test_staff_cancel_and_complete_and_move_refills(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store.ledger.sync_services([entry(1, refill=True, cancel=True)])
    account, _ = open_account(store, deposit="100")
    kept = place(store, account.id, "https://x/k")
    dropped = place(store, account.id, "https://x/d")
    store.ledger.request_cancel(account.id, dropped)
    assert main(["orders", "cancel", str(dropped)]) == 0
    assert f"order {dropped}  Canceled" in capsys.readouterr().out
    assert main(["orders", "complete", str(kept)]) == 0

    refill = store.ledger.request_refill(account.id, kept).number
    assert main(["refills", "start", str(refill)]) == 0
    assert capsys.readouterr().out.strip().endswith("In progress")
    assert main(["refills", "complete", str(refill)]) == 0
    assert capsys.readouterr().out.strip().endswith("Completed")
    again = store.ledger.request_refill(account.id, kept).number
    assert main(["refills", "reject", str(again), "--reason", "no drop"]) == 0
    assert capsys.readouterr().out.strip().endswith("Rejected (no drop)")
    assert main(["refills", "fail", str(again)]) == 1  # already finished
    assert "already Rejected" in capsys.readouterr().err


def test_a_refused_report_exits_with_a_reason_and_records_nothing(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store, deposit="100")
    number = place(store, account.id, "https://x/r")
    store.ledger.report_delivery(number, 500)
    version = store.ledger.order(number).version  # type: ignore[union-attr]
    assert main(["orders", "deliver", str(number), "--delivered", "400"]) == 1
    assert "below the 500" in capsys.readouterr().err
    assert main(["orders", "cancel", str(number)]) == 1
    assert main(["orders", "start", "999999", "--start-count", "1"]) == 1
    assert store.ledger.order(number).version == version  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "command",
    [
        ["operators", "create"],
        ["orders", "claim"],
        ["orders", "start"],
        ["orders", "deliver"],
        ["orders", "complete"],
        ["orders", "partial"],
        ["orders", "cancel"],
        ["orders", "fail"],
        ["orders", "refund"],
        ["refills", "start"],
        ["refills", "complete"],
        ["refills", "reject"],
        ["refills", "fail"],
    ],
)
def test_every_command_explains_itself(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: orderledger {' '.join(command)}" in capsys.readouterr().out
