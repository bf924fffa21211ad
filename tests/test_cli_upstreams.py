"""Upstreams from the command line, against a real upstream: a second orderledger server with
a store of its own, selling us part of the real catalogue."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.domain.catalogue import CatalogueEntry
from orderledger.domain.service import Service
from orderledger.storage.settings import Settings
from orderledger.views.catalogue import linked_services
from tests.conftest import entry, open_account, settle, use_settings
from tests.integration.servers import running_server

OFFERED = 12  # the real catalogue's first: 8 CoinMarketCap, 4 Press Release Distribution


@dataclass
class Upstream:
    url: str
    key: str
    settings: Settings
    offered: list[CatalogueEntry]

    def offer(self, entries: list[CatalogueEntry]) -> None:
        """Its catalogue from now on: these services, every other one disabled."""
        store = Store.open(self.settings)
        try:
            store.ledger.sync_services(entries)
            kept = {e.number for e in entries}
            store.ledger.disable_services(e.number for e in self.offered if e.number not in kept)
        finally:
            store.close()

    def services_answer(self) -> Any:
        return httpx.post(self.url, data={"key": self.key, "action": "services"}).json()


@pytest.fixture(scope="module")
def running_upstream(
    tmp_path_factory: pytest.TempPathFactory, real_catalogue: list[CatalogueEntry]
) -> Iterator[Upstream]:
    settings = Settings(postgres=None, data_dir=tmp_path_factory.mktemp("upstream") / "var")
    store = Store.open(settings)
    try:
        _, key = open_account(store, "downstream", deposit="100")
        store.ledger.sync_services(real_catalogue[:OFFERED])
        settle(store)
    finally:
        store.close()
    with running_server(settings, workers=1) as url:
        yield Upstream(url, key, settings, real_catalogue[:OFFERED])


@pytest.fixture
def upstream(running_upstream: Upstream) -> Upstream:
    """The upstream offering its whole catalogue, as it does at the start of every test."""
    running_upstream.offer(running_upstream.offered)
    return running_upstream


@dataclass
class Cli:
    capsys: pytest.CaptureFixture[str]
    said: list[str]  # every output of every command, to look for the key in

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        status = main(list(argv))
        out, err = self.capsys.readouterr()
        self.said += [out, err]
        return status, out, err


@pytest.fixture
def cli(
    settings: Settings,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    use_settings(monkeypatch, settings)
    return Cli(capsys, [])


def key_file(tmp_path: Path, key: str, mode: int = 0o600) -> Path:
    path = tmp_path / "upstream.key"
    path.write_text(key + "\n")
    path.chmod(mode)
    return path


def added(cli: Cli, upstream: Upstream, tmp_path: Path, name: str = "bulk") -> None:
    status, out, err = cli(
        "upstreams",
        "add",
        name,
        "--url",
        upstream.url,
        "--key-file",
        str(key_file(tmp_path, upstream.key)),
    )
    assert status == 0, err
    assert f"upstream {name} added: {upstream.url}" in out


def imported(cli: Cli, *argv: str) -> str:
    status, out, err = cli("services", "import", "--from-upstream", "bulk", *argv)
    assert status == 0, err
    return out


def head(store: Store) -> int:
    return int(store.ledger.recorder.max_notification_id() or 0)


def events_since(store: Store, position: int) -> list[Any]:
    notifications = store.ledger.recorder.select_notifications(start=position + 1, limit=1000)
    return [store.ledger.mapper.to_domain_event(n) for n in notifications]


def local_of(store: Store, upstream_service: int) -> Service:
    settle(store)
    numbers = [
        n for n, (_, there) in linked_services(store.db).items() if there == upstream_service
    ]
    assert len(numbers) == 1, numbers
    service = store.ledger.service(numbers[0])
    assert service is not None
    return service


@pytest.mark.slow
def test_an_upstreams_key_is_never_shown_logged_or_recorded(
    cli: Cli, store: Store, upstream: Upstream, tmp_path: Path, settings: Settings
) -> None:
    added(cli, upstream, tmp_path)
    assert "balance there: 100.00000 USD" in cli.said[-2]
    for argv in (
        ("upstreams", "list"),
        ("upstreams", "list", "--json"),
        ("upstreams", "balance", "bulk"),
        ("upstreams", "services", "bulk"),
        ("upstreams", "services", "bulk", "--json"),
        ("services", "import", "--from-upstream", "bulk", "--markup", "10", "--dry-run"),
        ("services", "import", "--from-upstream", "bulk", "--markup", "10"),
        ("services", "list"),
        ("upstreams", "statement", "bulk"),
        (
            "upstreams",
            "add",
            "bulk",
            "--url",
            upstream.url,
            "--key-file",
            str(tmp_path / "upstream.key"),
        ),
    ):
        cli(*argv)
    assert cli.said and not any(upstream.key in said for said in cli.said)
    assert "already exists" in cli.said[-1]  # the add again, refused without its key
    notifications = store.ledger.recorder.select_notifications(start=1, limit=10_000)
    assert notifications and not any(upstream.key.encode() in n.state for n in notifications)
    assert store.upstream_keys.get("bulk") == upstream.key
    if settings.postgres is None:  # the file that holds it: its owner's alone
        assert (settings.data_dir / "ledger.sqlite").stat().st_mode & 0o077 == 0


@pytest.mark.slow
def test_a_key_the_upstream_refuses_is_refused_and_nothing_recorded(
    cli: Cli, store: Store, upstream: Upstream, tmp_path: Path
) -> None:
    before = head(store)
    status, out, err = cli(
        "upstreams",
        "add",
        "bulk",
        "--url",
        upstream.url,
        "--key-file",
        str(key_file(tmp_path, "not-our-key")),
    )
    assert status == 1 and out == ""
    assert err.startswith("error: upstream bulk refused the key (") and err.count("\n") == 1
    assert "not-our-key" not in err
    assert head(store) == before and store.upstream_keys.names() == []


@pytest.mark.slow
def test_balance_asks_the_upstream(cli: Cli, upstream: Upstream, tmp_path: Path) -> None:
    added(cli, upstream, tmp_path)
    status, out, _ = cli("upstreams", "balance", "bulk")
    assert status == 0 and out == "bulk: 100.00000 USD\n"


@pytest.mark.slow
def test_services_json_is_the_upstreams_own_services_answer(
    cli: Cli, upstream: Upstream, tmp_path: Path
) -> None:
    added(cli, upstream, tmp_path)
    status, out, _ = cli("upstreams", "services", "bulk", "--json")
    assert status == 0
    assert json.loads(out) == upstream.services_answer()
    status, out, _ = cli("upstreams", "services", "bulk")
    assert status == 0 and out.splitlines()[-1] == f"{OFFERED} services at bulk"


@pytest.mark.slow
def test_importing_marks_the_rates_up_and_links_each_new_service_under_a_free_number(
    cli: Cli, store: Store, upstream: Upstream, tmp_path: Path
) -> None:
    store.ledger.sync_services([entry(1), entry(40)])  # our own, delivered by the bots
    added(cli, upstream, tmp_path)
    out = imported(cli, "--markup", "20")
    assert f"{OFFERED} services at bulk: " in out
    settle(store)
    links = linked_services(store.db)
    assert sorted(links) == list(range(41, 41 + OFFERED))
    for offered in upstream.offered:
        local = local_of(store, offered.number)
        assert links[local.number] == ("bulk", offered.number)
        assert local.rate == offered.rate * Decimal("1.2")
        for name in ("name", "type", "category", "min", "max", "dripfeed", "refill", "cancel"):
            assert getattr(local, name) == getattr(offered, name), name
    first = local_of(store, upstream.offered[0].number)
    status, listing, _ = cli("services", "list")
    assert status == 0
    assert f"-> bulk {upstream.offered[0].number}" in next(
        line for line in listing.splitlines() if line.strip().startswith(f"{first.number} ")
    )
    own = store.ledger.service(1)
    assert own is not None and not own.linked and own.enabled


@pytest.mark.slow
def test_importing_again_records_nothing(
    cli: Cli, store: Store, upstream: Upstream, tmp_path: Path
) -> None:
    added(cli, upstream, tmp_path)
    imported(cli, "--markup", "20")
    before = head(store)
    out = imported(cli, "--markup", "20")
    assert "0 change(s) recorded, 0 service(s)" in out
    assert head(store) == before


@pytest.mark.slow
def test_a_price_change_at_the_upstream_is_one_changed_event_here(
    cli: Cli, store: Store, upstream: Upstream, tmp_path: Path
) -> None:
    added(cli, upstream, tmp_path)
    imported(cli, "--markup", "20")
    dearer = replace(upstream.offered[0], rate=Decimal("20.00"))
    upstream.offer([dearer, *upstream.offered[1:]])
    before = head(store)
    imported(cli, "--markup", "20")
    (changed,) = events_since(store, before)
    assert isinstance(changed, Service.Changed)
    assert Decimal(changed.changes.pop("rate")) == Decimal("24") and changed.changes == {}
    assert local_of(store, dearer.number).rate == Decimal("24")


@pytest.mark.slow
def test_a_service_the_upstream_dropped_is_disabled_here_and_nothing_else(
    cli: Cli, store: Store, upstream: Upstream, tmp_path: Path
) -> None:
    store.ledger.sync_services([entry(1)])
    added(cli, upstream, tmp_path)
    imported(cli, "--markup", "0")
    dropped, *kept = upstream.offered
    upstream.offer(kept)
    before = head(store)
    out = imported(cli, "--markup", "0")
    assert "1 service(s) it no longer offers disabled" in out
    (disabled,) = events_since(store, before)
    assert isinstance(disabled, Service.Disabled)
    assert not local_of(store, dropped.number).enabled
    assert all(local_of(store, e.number).enabled for e in kept)
    own = store.ledger.service(1)
    assert own is not None and own.enabled
    upstream.offer(upstream.offered)  # offered again: enabled again
    imported(cli, "--markup", "0")
    assert local_of(store, dropped.number).enabled


@pytest.mark.slow
def test_a_filtered_import_touches_only_what_it_selects(
    cli: Cli, store: Store, upstream: Upstream, tmp_path: Path
) -> None:
    added(cli, upstream, tmp_path)
    press = [e for e in upstream.offered if e.category == "Press Release Distribution"]
    imported(cli, "--markup", "5", "--category", "press release distribution")
    settle(store)
    assert sorted(there for _, there in linked_services(store.db).values()) == sorted(
        e.number for e in press
    )
    first, second = upstream.offered[0], upstream.offered[1]
    imported(cli, "--markup", "5", "--service", str(first.number), "--service", str(second.number))
    upstream.offer([e for e in upstream.offered if e.number not in (first.number, second.number)])
    imported(cli, "--markup", "5", "--service", str(second.number))
    assert local_of(store, first.number).enabled  # dropped there, but not selected here
    assert not local_of(store, second.number).enabled
    status, _, err = cli(
        "services", "import", "--from-upstream", "bulk", "--markup", "5", "--service", "999999"
    )
    assert status == 0 and "warning: bulk does not offer service 999999" in err


@pytest.mark.slow
def test_a_dry_run_shows_the_plan_and_records_nothing(
    cli: Cli, store: Store, upstream: Upstream, tmp_path: Path
) -> None:
    added(cli, upstream, tmp_path)
    before = head(store)
    out = imported(cli, "--markup", "10", "--dry-run")
    assert f"would add {OFFERED}, change 0, enable 0, disable 0" in out
    assert f"(its {upstream.offered[0].number})" in out
    assert out.splitlines()[-1] == "dry run: nothing recorded"
    assert head(store) == before


@pytest.mark.slow
def test_link_asks_the_upstream_and_unlink_gives_the_service_back_to_the_bots(
    cli: Cli, store: Store, upstream: Upstream, tmp_path: Path
) -> None:
    store.ledger.sync_services([entry(5, "Package")])
    added(cli, upstream, tmp_path)
    there = upstream.offered[0]  # a Default service
    status, out, err = cli(
        "services", "link", "5", "--upstream", "bulk", "--service", str(there.number)
    )
    assert status == 0, err
    assert f"is now fulfilled by bulk's service {there.number}" in out
    assert "warning: service 5 is Package" in err
    settle(store)
    assert linked_services(store.db) == {5: ("bulk", there.number)}
    status, _, err = cli("services", "link", "5", "--upstream", "bulk", "--service", "999999")
    assert status == 1 and err == "error: upstream bulk does not offer service 999999\n"
    status, _, err = cli("services", "link", "5", "--upstream", "nobody", "--service", "1")
    assert status == 1 and err.startswith("error: no upstream 'nobody' in ")
    status, out, _ = cli("services", "unlink", "5")
    assert status == 0 and "no longer fulfilled by bulk" in out
    settle(store)
    assert linked_services(store.db) == {}


@pytest.mark.slow
def test_upstreams_list_shows_each_with_its_funds_and_services_linked(
    cli: Cli, store: Store, upstream: Upstream, tmp_path: Path
) -> None:
    added(cli, upstream, tmp_path)
    imported(cli, "--markup", "10", "--category", "Press Release Distribution")
    status, out, _ = cli("upstreams", "list", "--json")
    assert status == 0
    assert json.loads(out) == {
        "upstreams": [
            {
                "name": "bulk",
                "url": upstream.url,
                "funds_short": False,
                "retry_at": None,
                "short_reason": "",
                "services_linked": 4,
            }
        ]
    }
    status, out, _ = cli("upstreams", "list")
    assert "funds ok, 4 service(s) linked" in out


def test_an_unanswering_upstream_is_added_with_a_warning_and_changed_only_with_replace(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    closed = "http://127.0.0.1:9/api/v2"  # the discard port: nothing listens
    key = key_file(tmp_path, "k-first")
    status, _, err = cli("upstreams", "add", "far", "--url", closed, "--key-file", str(key))
    assert status == 0 and "warning: could not ask far for its balance" in err
    status, _, err = cli("upstreams", "add", "far", "--url", closed, "--key-file", str(key))
    assert status == 1 and "already exists" in err and "--replace" in err
    moved = "http://127.0.0.1:9/other/api/v2"
    key.write_text("k-second\n")
    status, out, _ = cli(
        "upstreams", "add", "far", "--url", moved, "--key-file", str(key), "--replace"
    )
    assert status == 0 and f"moved from {closed}" in out
    assert store.ledger.known_upstream("far").url == moved
    assert store.upstream_keys.get("far") == "k-second"
    status, _, err = cli("upstreams", "balance", "far")
    assert status == 1 and err.startswith("error: upstream far: ") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "mode", "reason"),
    [
        ("k-1234", 0o644, "may be read by other users (mode 644): `chmod 600"),
        ("", 0o600, "is empty"),
        ("k-1 k-2", 0o600, "should hold the key alone, on one line"),
    ],
)
def test_a_key_file_others_may_read_or_that_is_not_one_key_is_refused(
    cli: Cli, store: Store, tmp_path: Path, content: str, mode: int, reason: str
) -> None:
    path = key_file(tmp_path, content, mode)
    status, out, err = cli(
        "upstreams", "add", "bulk", "--url", "http://127.0.0.1:9/api/v2", "--key-file", str(path)
    )
    assert status == 1 and out == "" and reason in err
    assert "k-1" not in err
    assert store.upstream_keys.names() == []


@pytest.mark.slow
def test_a_key_read_from_standard_input(
    cli: Cli, store: Store, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(upstream.key + "\n"))
    status, _, err = cli("upstreams", "add", "bulk", "--url", upstream.url, "--key-file", "-")
    assert status == 0, err
    assert store.upstream_keys.get("bulk") == upstream.key


def test_import_options_that_go_with_an_upstream_are_refused_with_a_file(
    cli: Cli, store: Store, tmp_path: Path
) -> None:
    status, _, err = cli("services", "import", str(tmp_path / "x.json"), "--markup", "5")
    assert status == 1 and err == "error: --markup goes with --from-upstream, not with a file\n"
    status, _, err = cli("services", "import")
    assert status == 1 and err == "error: give a catalogue FILE, or --from-upstream NAME\n"


@pytest.mark.slow
def test_an_import_whose_new_number_was_taken_meanwhile_overwrites_nothing(
    cli: Cli, store: Store, upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    added(cli, upstream, tmp_path)
    # Planned against the catalogue before another import listed service 1.
    monkeypatch.setattr("orderledger.cli.upstream_services.current_catalogue", lambda ledger: {})
    store.ledger.sync_services([entry(1)])
    before = head(store)
    status, _, err = cli("services", "import", "--from-upstream", "bulk", "--markup", "0")
    assert status == 1
    assert err.splitlines()[-1].startswith("error: service 1 was listed meanwhile")
    assert head(store) == before
    own = store.ledger.service(1)
    assert own is not None and own.name == "Service 1" and not own.linked
    monkeypatch.undo()
    use_settings(monkeypatch, store.settings)
    imported(cli, "--markup", "0")  # run again: it goes ahead, above service 1
    settle(store)
    assert sorted(linked_services(store.db)) == list(range(2, 2 + OFFERED))
