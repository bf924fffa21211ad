"""Upstreams and their links as the store keeps them, on both databases: the key apart from
the events, the link in the service's history."""

from __future__ import annotations

import pytest

from orderledger.bootstrap import Store, backend_for
from orderledger.domain.errors import UnknownService, UnknownUpstream, UpstreamExists
from orderledger.storage.settings import Settings
from orderledger.storage.upstream_keys import AnyKept
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


def test_serve_is_told_of_the_first_upstream_and_not_before(settings: Settings) -> None:
    """What `serve` asks before it starts the forwarder's process: no while the store is
    not made yet (nothing is made by asking), no while no key is kept, yes once one is."""
    asked = AnyKept(backend_for(settings))
    assert not asked()
    assert not backend_for(settings).store_exists()
    store = Store.open(settings)
    try:
        assert not asked()
        store.upstream_keys.put("bulk", KEY)
        assert asked()
        assert asked.db is None  # asked no more: its connection is closed
    finally:
        store.close()


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
