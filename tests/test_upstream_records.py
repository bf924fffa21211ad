"""Upstreams and their links as the store keeps them, on both databases: the key apart from
the events, the link in the service's history."""

from __future__ import annotations

import pytest

from orderledger.bootstrap import Store
from orderledger.domain.errors import UnknownService, UnknownUpstream, UpstreamExists
from tests.conftest import entry

KEY = "k-0123456789abcdef"


def test_an_upstreams_key_is_kept_apart_from_its_events(store: Store) -> None:
    store.upstream_keys.put("bulk", KEY)
    store.ledger.add_upstream("bulk", "https://provider.example/api/v2")
    assert store.upstream_keys.get("bulk") == KEY
    assert store.upstream_keys.names() == ["bulk"]
    store.upstream_keys.put("bulk", "k-new")
    assert store.upstream_keys.get("bulk") == "k-new"
    assert store.upstream_keys.get("other") is None
    recorded = store.ledger.recorder.select_notifications(start=1, limit=100)
    assert recorded and not any(KEY.encode() in n.state for n in recorded)


def test_an_upstream_is_added_once_and_moved_by_its_own_command(store: Store) -> None:
    store.ledger.add_upstream("bulk", "https://provider.example/api/v2")
    with pytest.raises(UpstreamExists):
        store.ledger.add_upstream("bulk", "https://other.example/api/v2")
    moved = store.ledger.move_upstream("bulk", "https://other.example/api/v2")
    assert store.ledger.known_upstream("bulk").url == moved.url == "https://other.example/api/v2"


def test_a_service_links_only_to_an_upstream_that_exists(store: Store) -> None:
    store.ledger.sync_services([entry(1)])
    with pytest.raises(UnknownUpstream):
        store.ledger.link_service(1, "bulk", 501)
    store.ledger.add_upstream("bulk", "https://provider.example/api/v2")
    with pytest.raises(UnknownService):
        store.ledger.link_service(2, "bulk", 501)
    store.ledger.link_service(1, "bulk", 501)
    service = store.ledger.service(1)
    assert service is not None and (service.upstream, service.upstream_service) == ("bulk", 501)
    store.ledger.unlink_service(1)
    service = store.ledger.service(1)
    assert service is not None and not service.linked
