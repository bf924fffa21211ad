"""Each `/api/v2` request is parsed once and its key looked up once, whether or not the key's
query answers it whole."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from orderledger.cli.common import catch_up
from orderledger.http import api_v2
from orderledger.views.key_lookups import StatusLookups
from orderledger.views.reads import ReadModels
from tests.http.conftest import Network


def counted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """From here on, how often a request is parsed and how often a key is looked up."""
    calls: Counter[str] = Counter()
    parse, look_up, holder = api_v2.parse_action, StatusLookups.look_up, ReadModels.holder

    def parse_action(fields: Any) -> Any:
        calls["parsed"] += 1
        return parse(fields)

    async def batched(self: StatusLookups, batch: Any) -> Any:
        calls["keys looked up"] += len(batch)
        return await look_up(self, batch)

    async def single(self: ReadModels, token: str, role: Any) -> Any:
        calls["keys looked up"] += 1
        return await holder(self, token, role)

    monkeypatch.setattr(api_v2, "parse_action", parse_action)
    monkeypatch.setattr(StatusLookups, "look_up", batched)
    monkeypatch.setattr(ReadModels, "holder", single)
    return calls


def test_every_request_is_parsed_once_and_its_key_looked_up_once(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = network.add(link="a"), network.add(link="b")
    catch_up(network.store)
    requests: list[dict[str, Any]] = [
        {"action": "status", "order": str(first)},  # answered whole on PostgreSQL
        {"action": "status", "orders": f"{first},{second}"},  # so is this
        {"action": "status", "orders": f"{first},x"},  # never: the usual path
        {"action": "status", "order": "99999"},
        {"action": "status", "orders": ""},
        {"action": "balance"},
        {"action": "services"},
        {"action": "add", "service": "1", "link": "c", "quantity": "100"},
        {"action": "refill_status", "refill": "1"},
    ]
    for fields in requests:
        calls = counted(monkeypatch)
        network.call(**fields)
        assert calls == {"parsed": 1, "keys looked up": 1}, fields
        monkeypatch.undo()
