"""A command that has recorded its events says so, even when what comes after fails."""

from __future__ import annotations

import pytest

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.storage.settings import Settings
from tests.conftest import use_settings
from tests.integration.refusals import refuse_inserts


def refuse_new_keys(settings: Settings) -> None:
    refuse_inserts(settings, "ledger.sqlite", "orderledger_credentials", "keys refused")


def test_an_account_created_without_its_key_is_reported_created_with_the_way_on(
    settings: Settings,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_settings(monkeypatch, settings)
    refuse_new_keys(settings)
    assert main(["accounts", "create", "net"]) == 1
    captured = capsys.readouterr()
    assert "account   net" in captured.out
    assert "'net' was created, but its API key was not issued" in captured.err
    assert "orderledger accounts new-key net" in captured.err
    assert store.ledger.account("net").name == "net"
