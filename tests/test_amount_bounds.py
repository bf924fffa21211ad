"""Amounts past the ledger's bound, or below its precision, are refused at every door in one
line and nothing is recorded; the largest amount it takes works end to end."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from litestar.testing import TestClient

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.domain.account import Billing
from orderledger.domain.errors import AmountOutOfRange
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account, settle, use_settings

LARGEST = "999999999999.99999"
BIGINT = 2**63 - 1


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, settings: Settings, store: Store) -> Store:
    use_settings(monkeypatch, settings)
    return store


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["accounts", "deposit", "a", "99999999999999999999999"], "below 1000000000000"),
        (["accounts", "deposit", "a", "1e22"], "below 1000000000000"),
        (["accounts", "deposit", "a", "1000000000000"], "below 1000000000000"),
        (["accounts", "deposit", "a", "0.000001"], "five decimal places"),
        (["accounts", "deposit", "a", "0.000005"], "five decimal places"),
        (["accounts", "create", "p", "--postpaid", "--balance", "1e22"], "below 1000000000000"),
        (["accounts", "create", "p", "--postpaid", "--balance", "1e23"], "below 1000000000000"),
        (["accounts", "create", "p", "--postpaid", "--balance", "0.000001"], "five decimal"),
    ],
)
def test_an_amount_out_of_range_is_one_line_and_records_nothing(
    cli: Store, capsys: pytest.CaptureFixture[str], argv: list[str], reason: str
) -> None:
    run(capsys, "accounts", "create", "a")
    head = cli.ledger.recorder.max_notification_id()
    status, _, err = run(capsys, *argv)
    assert status == 1 and reason in err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert cli.ledger.recorder.max_notification_id() == head
    status, out, _ = run(capsys, "accounts", "show", "a")
    assert status == 0 and "balance   0.00000" in out


def test_the_largest_deposit_works_end_to_end(
    cli: Store,
    capsys: pytest.CaptureFixture[str],
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    status, out, _ = run(capsys, "accounts", "create", "a")
    key = out.strip().splitlines()[-1]
    for _ in range(2):
        status, out, _ = run(capsys, "accounts", "deposit", "a", LARGEST)
        assert status == 0
    assert "deposits  1999999999999.99998" in out
    status, out, _ = run(capsys, "accounts", "show", "a")
    assert status == 0 and "balance   1999999999999.99998" in out
    status, out, _ = run(capsys, "accounts", "statement", "a")
    assert status == 0 and f"deposit,,{LARGEST},{LARGEST}" in out
    assert ",,closing balance,,,1999999999999.99998" in out
    settle(cli)
    answer = client.post("/api/v2", data={"key": key, "action": "balance"}).json()
    assert answer == {"balance": "1999999999999.99998", "currency": "USD"}
    status, out, err = run(capsys, "projections", "verify")
    assert status == 0, out + err


def test_the_largest_postpaid_figure_is_taken(
    cli: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "accounts", "create", "p", "--postpaid", "--balance", LARGEST)
    assert status == 0 and f"shown     {LARGEST}" in out


def test_the_ledger_refuses_a_deposit_out_of_range_and_records_nothing(store: Store) -> None:
    open_account(store, "a", deposit=None)
    head = store.ledger.recorder.max_notification_id()
    for amount in ("1e22", "1000000000000", "0.000001"):
        with pytest.raises(AmountOutOfRange):
            store.ledger.deposit("a", Decimal(amount))
    with pytest.raises(AmountOutOfRange):
        store.ledger.open_account("p", "USD", Billing.POSTPAID, Decimal("1e22"))
    assert store.ledger.recorder.max_notification_id() == head
    assert store.ledger.deposit("a", Decimal(LARGEST)).balance == Decimal(LARGEST)


# ---- catalogue import --------------------------------------------------------------------------


def write_catalogue(tmp_path: Path, rate: str) -> Path:
    path = tmp_path / "catalogue.json"
    services = [
        {"service": 1, "name": "Likes", "rate": "0.5", "min": 10, "max": 100},
        {"service": 7, "name": "Huge", "rate": rate, "min": 10, "max": 100},
    ]
    path.write_text(json.dumps(services), encoding="utf-8")
    return path


def test_a_rate_out_of_range_is_a_catalogue_error_naming_the_service(
    cli: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    head = cli.ledger.recorder.max_notification_id()
    for rate in ("1000000000000", "1e22", "99999999999999999999999"):
        status, _, err = run(capsys, "services", "import", str(write_catalogue(tmp_path, rate)))
        assert status == 1 and "service 7" in err and "below 1000000000000" in err, err
        assert err.count("\n") == 1
    assert cli.ledger.recorder.max_notification_id() == head


def test_the_largest_rate_and_rates_with_more_places_are_imported(
    cli: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for rate in (LARGEST, "0.000001", "1.123456789"):
        status, out, err = run(capsys, "services", "import", str(write_catalogue(tmp_path, rate)))
        assert status == 0, out + err
        service = cli.ledger.service(7)
        assert service is not None and service.rate == Decimal(rate)


# ---- /api/v2 add -----------------------------------------------------------------------------


def add(client: TestClient, key: str, service: int, **fields: str) -> object:  # type: ignore[type-arg]
    form = {"key": key, "action": "add", "service": str(service), "link": "https://x/p", **fields}
    response = client.post("/api/v2", data=form)
    assert response.status_code == 200
    return response.json()


def test_a_charge_past_the_bound_is_refused_like_any_order_and_records_nothing(
    store: Store,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    store.ledger.sync_services(
        [
            entry(1, rate=Decimal(LARGEST), max=BIGINT, dripfeed=True),
            entry(2, rate=Decimal(1000), max=BIGINT),
        ]
    )
    _, key = open_account(store, "p", billing=Billing.POSTPAID, credit=LARGEST)
    head = store.ledger.recorder.max_notification_id()
    refusal = {"error": "Not enough funds on balance"}
    # The largest charge a service allows: its largest rate, quantity and runs.
    assert add(client, key, 1, quantity=str(BIGINT), runs="1000", interval="1") == refusal
    assert add(client, key, 2, quantity=str(10**18)) == refusal
    assert store.ledger.recorder.max_notification_id() == head
    # The largest charge an account may take is recorded, and the next cent is refused.
    placed = add(client, key, 2, quantity=str(10**18 - 1))
    assert isinstance(placed, dict) and isinstance(placed.get("order"), int), placed
    assert add(client, key, 2, link="https://x/q", quantity="10") == refusal
    settle(store)
    status = client.post(
        "/api/v2", data={"key": key, "action": "status", "order": str(placed["order"])}
    ).json()
    assert status["charge"] == "999999999999999999.00000"
    balance = client.post("/api/v2", data={"key": key, "action": "balance"}).json()
    assert balance["balance"] == LARGEST  # the fixed figure a postpaid account shows
    account = store.ledger.account("p")
    assert account.owed == Decimal("999999999999999999.00000")
    assert account.balance == Decimal("-999998999999999999.00001")


def test_a_prepaid_account_is_refused_the_largest_charge_and_others_are_placed(
    store: Store,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    store.ledger.sync_services([entry(1, rate=Decimal(LARGEST), max=BIGINT, dripfeed=True)])
    _, key = open_account(store, "a", deposit=LARGEST)
    head = store.ledger.recorder.max_notification_id()
    huge = add(client, key, 1, quantity=str(BIGINT), runs="1000", interval="1")
    assert huge == {"error": "Not enough funds on balance"}
    assert store.ledger.recorder.max_notification_id() == head
    assert isinstance(add(client, key, 1, quantity="10"), dict)
    assert store.ledger.account("a").charges == Decimal("10000000000.00000")
