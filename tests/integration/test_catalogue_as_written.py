"""A provider's catalogue, as its export writes it, served to the network as it was written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from litestar.testing import TestClient

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.storage.settings import Settings
from tests.conftest import open_account, settle, use_settings


def test_an_export_with_snake_case_types_and_desc_is_served_with_names_as_written(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    store: Store,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    use_settings(monkeypatch, settings)
    export = [
        {"service": 1, "name": "Followers\u00a0", "type": "default", "category": "IG\u00a0",
         "rate": "0.9", "min": 10, "max": 1000, "desc": "Real followers"},
        {"service": 2, "name": "Comments", "type": "custom_comments", "category": "IG",
         "rate": "5", "min": 1, "max": 100},
        {"service": 3, "name": "Comment likes", "type": "comment_likes", "category": "IG",
         "rate": "1", "min": 10, "max": 1000},
    ]  # fmt: skip
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    assert main(["services", "import", str(path)]) == 0
    settle(store)
    _, key = open_account(store)
    served = client.post("/api/v2", data={"key": key, "action": "services"}).json()
    assert [(s["name"], s["type"], s["category"]) for s in served] == [
        ("Followers\u00a0", "Default", "IG\u00a0"),
        ("Comments", "Custom Comments", "IG"),
        ("Comment likes", "Comment Likes", "IG"),
    ]
    assert served[0]["description"] == "Real followers"
    head = store.ledger.recorder.max_notification_id()
    assert main(["services", "import", str(path)]) == 0  # nothing changed: nothing recorded
    assert store.ledger.recorder.max_notification_id() == head
