"""The real 5,586-service catalogue: import, re-import, change, disable, its `services` answer."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from litestar.testing import TestClient

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.domain.catalogue import CatalogueEntry, CatalogueError, read_catalogue
from orderledger.storage.settings import Settings
from tests.conftest import REAL_CATALOGUE, open_account, settle, use_settings


def event_count(store: Store) -> int:
    return int(store.ledger.recorder.max_notification_id() or 0)


def test_real_catalogue_imports_once_and_round_trips(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    store: Store,
    client: TestClient,  # type: ignore[type-arg]
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_settings(monkeypatch, settings)
    assert main(["services", "import", str(REAL_CATALOGUE)]) == 0
    assert "5586 change(s) recorded" in capsys.readouterr().out
    head = event_count(store)
    assert main(["services", "import", str(REAL_CATALOGUE)]) == 0
    assert "0 change(s) recorded, 0 service(s)" in capsys.readouterr().out
    assert event_count(store) == head

    settle(store)
    _, key = open_account(store)
    answered = client.post("/api/v2", data={"key": key, "action": "services"}).json()
    original = json.loads(REAL_CATALOGUE.read_text(encoding="utf-8"))
    assert len(answered) == len(original) == 5586
    by_number = {s["service"]: s for s in answered}
    for raw in original:
        served = by_number[int(raw["service"])]
        for name in ("name", "type", "category", "rate", "min", "max"):
            assert served[name] == raw[name], (raw["service"], name)
        for name in ("dripfeed", "refill", "cancel"):
            assert served[name] is raw[name]


def test_a_changed_file_records_exactly_the_changes(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, store: Store, tmp_path: Path
) -> None:
    use_settings(monkeypatch, settings)
    services = json.loads(REAL_CATALOGUE.read_text(encoding="utf-8"))[:20]
    first = tmp_path / "first.json"
    first.write_text(json.dumps(services))
    assert main(["services", "import", str(first)]) == 0
    head = event_count(store)

    services[0]["rate"] = "99.99"
    services[1]["max"] = 7  # numbers instead of strings are fine too
    services[1]["min"] = 1
    removed = services.pop()
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps({"data": services}))
    assert main(["services", "import", str(changed)]) == 0
    assert event_count(store) == head + 3  # two Changed, one Disabled

    rate_changed = store.ledger.service(int(services[0]["service"]))
    assert rate_changed is not None and rate_changed.rate == Decimal("99.99")
    gone = store.ledger.service(int(removed["service"]))
    assert gone is not None and not gone.enabled  # disabled, never deleted


def test_a_broken_file_is_refused_with_its_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('[{"service": "1", "rate": "abc", "min": "1", "max": "2"}]')
    with pytest.raises(CatalogueError, match="entry 1"):
        read_catalogue(broken)
    broken.write_text('{"services": []}')
    with pytest.raises(CatalogueError, match="array"):
        read_catalogue(broken)


def test_every_service_type_of_the_real_catalogue_takes_an_order(
    store: Store,
    client: TestClient,  # type: ignore[type-arg]
    real_catalogue: list[CatalogueEntry],
) -> None:
    one_per_type: dict[str, CatalogueEntry] = {}
    for service in real_catalogue:
        one_per_type.setdefault(service.type, service)
    store.ledger.sync_services(one_per_type.values())
    _, key = open_account(store, deposit="1000000")
    fields_for_type = {
        "Default": {},
        "Package": {},
        "SEO": {"keywords": "a\nb"},
        "Custom Comments": {"comments": "\n".join(f"c{i}" for i in range(20))},
        "Custom Comments Package": {"comments": "a\nb"},
        "Mentions User Followers": {"username": "bob"},
        "Mentions Custom List": {"usernames": ",".join(f"u{i}" for i in range(20))},
        "Mentions with Hashtags": {"usernames": "a,b", "hashtags": "#a,#b"},
        "Mentions Media Likers": {"media": "https://m"},
        "Mentions Hashtag": {"hashtag": "#a"},
        "Invites from Groups": {"groups": "g1\ng2"},
        "Web Traffic": {"country": "US", "device": "1", "type_of_traffic": "3"},
        "Poll": {"answer_number": "1"},
        "Comment Likes": {"username": "bob"},
        "Comment Replies": {"username": "bob", "comments": "\n".join(f"r{i}" for i in range(20))},
        "Subscriptions": {"username": "bob", "delay": "0"},
    }
    assert set(fields_for_type) == set(one_per_type)
    for service_type, service in one_per_type.items():
        fields = {"key": key, "action": "add", "service": str(service.number), "link": "https://x"}
        fields["quantity"] = str(service.min)
        if service_type == "Subscriptions":
            fields |= {"min": str(service.min), "max": str(service.max)}
        if service_type in ("Custom Comments", "Comment Replies", "Mentions Custom List"):
            count = max(service.min, 1)
            name = "usernames" if service_type == "Mentions Custom List" else "comments"
            joiner = "," if name == "usernames" else "\n"
            fields[name] = joiner.join(f"x{i}" for i in range(count))
        answer = client.post("/api/v2", data={**fields_for_type[service_type], **fields}).json()
        assert "order" in answer, (service_type, answer)
