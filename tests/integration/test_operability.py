"""Health, readiness, metrics and the access log of a real `orderledger serve`."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from orderledger.bootstrap import Store
from orderledger.storage.credentials import Role
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account, settle
from tests.integration.servers import (
    environment,
    free_port,
    serve_command,
    stop_server,
    wait_until_serving,
)

pytestmark = pytest.mark.slow
METRICS_TOKEN = "metrics-token-0f3b7c"


# What the metrics test sends, and so what every worker's counts must add up to.
EXPECTED = {
    ("balance", "ok"): 30,
    ("balance", "unauthorized"): 10,
    ("add", "ok"): 6,
    ("status", "refused"): 1,
}


@dataclass
class Served:
    base: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines()


@contextmanager
def serving(
    settings: Settings, tmp_path: Path, *args: str, workers: int = 2, **env: str
) -> Iterator[Served]:
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            serve_command(port, workers, *args),
            env={**environment(settings), **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{base}/api/v2", process)
        yield Served(base, log, process)
    finally:
        stop_server(process)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text exposition, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(
    served: Served, token: str = METRICS_TOKEN
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = httpx.get(f"{served.base}/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(answer.text)


def requests_counted(
    figures: dict[tuple[str, tuple[tuple[str, str], ...]], float], action: str, outcome: str
) -> float:
    return figures.get(
        ("orderledger_requests_total", (("action", action), ("outcome", outcome))), 0.0
    )


def test_health_readiness_and_metrics_cover_every_worker(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    store.ledger.sync_services([entry(1)])
    _, key = open_account(store, name="network", deposit="100")
    settle(store)
    private = tmp_path / "tmp"
    private.mkdir()
    with serving(
        settings, tmp_path, ORDERLEDGER_METRICS_TOKEN=METRICS_TOKEN, TMPDIR=str(private)
    ) as served:
        [directory] = private.glob("orderledger-metrics-*")  # serve's own, for its workers
        assert list(directory.glob("*.db"))
        assert httpx.get(f"{served.base}/healthz").json() == {"status": "ok"}
        for path in ("/readyz", "/metrics"):
            refused = httpx.get(f"{served.base}{path}")
            assert refused.status_code == 401, path
            wrong = httpx.get(f"{served.base}{path}", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401, path
        ready = httpx.get(
            f"{served.base}/readyz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert body["ready"] is True
        assert body["max_lag"] == 10_000
        assert set(body["projections"]) >= {"order_status", "account_balance", "work_queue"}

        before = scrape(served)
        # A new connection per request, so the kernel spreads them over both workers; the
        # scrape, answered by one of them, must count every one.
        for _ in range(30):
            answer = httpx.post(f"{served.base}/api/v2", data={"key": key, "action": "balance"})
            assert answer.json()["balance"] == "100.00000"
        for _ in range(10):
            httpx.post(f"{served.base}/api/v2", data={"key": "not-a-key", "action": "balance"})
        for i in range(6):
            placed = httpx.post(
                f"{served.base}/api/v2",
                data={
                    "key": key,
                    "action": "add",
                    "service": "1",
                    "quantity": "100",
                    "link": f"https://x/{i}",
                },
            ).json()
            assert "order" in placed, placed
        httpx.post(
            f"{served.base}/api/v2", data={"key": key, "action": "status", "order": "999999"}
        )
        settle(store, project=False)
        # Each worker hands its counts to the metrics once a second (the scraped one at once).
        deadline = time.monotonic() + 15
        while True:
            after = scrape(served)
            counted = {
                (action, outcome): requests_counted(after, action, outcome)
                - requests_counted(before, action, outcome)
                for action, outcome in EXPECTED
            }
            if counted == EXPECTED or time.monotonic() > deadline:
                break
            time.sleep(0.3)

    def grew(action: str, outcome: str) -> float:
        return requests_counted(after, action, outcome) - requests_counted(before, action, outcome)

    assert {(action, outcome): grew(action, outcome) for action, outcome in EXPECTED} == EXPECTED
    latency = ("orderledger_request_duration_seconds_count", (("action", "balance"),))
    assert after[latency] - before.get(latency, 0.0) == 40
    assert after[("orderledger_add_batch_orders_count", ())] >= 1
    assert after[("orderledger_add_batch_orders_sum", ())] == 6
    head = after[("orderledger_events_total", ())]
    assert head >= 8  # the catalogue, the account, its deposit and six orders
    position = ("orderledger_projection_position", (("projection", "order_status"),))
    assert after[position] == head
    assert after[("orderledger_projection_lag_events", (("projection", "order_status"),))] == 0
    assert after[("orderledger_claim_queue_depth", (("kind", "order"),))] == 6
    assert after[("orderledger_claims_expired", (("kind", "order"),))] == 0
    if settings.postgres is not None:
        size = after[("orderledger_db_pool_size", (("pool", "reads"),))]
        assert size >= 2  # two workers' pools, at least one connection each
    assert not list(private.iterdir())  # removed when the server stopped


def test_readiness_is_refused_while_the_read_models_are_behind(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    open_account(store, name="network", deposit="100")
    settle(store)
    # No worker can lead the projector while this test holds its lock: events recorded now
    # stay unfolded, as when the leader is stuck.
    leadership = store.leadership()
    deadline = time.monotonic() + 30  # a server of an earlier test may still be stopping
    while not leadership.acquire():
        assert time.monotonic() < deadline, "another projector holds the lock"
        time.sleep(0.2)
    try:
        with serving(settings, tmp_path, workers=1, ORDERLEDGER_READY_MAX_LAG="1") as served:
            ready = httpx.get(f"{served.base}/readyz")  # no token set: open
            assert ready.status_code == 200, ready.text
            store.ledger.deposit("network", Decimal("1"))
            store.ledger.deposit("network", Decimal("1"))
            behind = httpx.get(f"{served.base}/readyz")
            assert behind.status_code == 503, behind.text
            assert behind.json()["ready"] is False
            assert (
                "account_balance is 2 events behind the log (at most 1)" in behind.json()["reasons"]
            )
            leadership.release()
            deadline = time.monotonic() + 30
            while httpx.get(f"{served.base}/readyz").status_code != 200:
                assert time.monotonic() < deadline, "the projector did not catch up"
                time.sleep(0.2)
    finally:
        leadership.release()


def access_records(served: Served) -> list[dict[str, object]]:
    records = [json.loads(line) for line in served.log_lines() if line.startswith("{")]
    return [r for r in records if r["logger"] == "orderledger.access"]


def test_the_access_log_names_action_account_and_client_and_never_a_secret(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    store.ledger.sync_services([entry(1)])
    _, key = open_account(store, name="network", deposit="100")
    operator = store.credentials.issue(Role.OPERATOR, "bot-7", "bot-7")
    auditor = store.credentials.issue(Role.AUDITOR, "ann", "ann")
    settle(store)
    secrets = [key, operator, auditor, METRICS_TOKEN, "wrong-key-5d1e", "wrong-token-99ab"]
    with serving(
        settings,
        tmp_path,
        "--log-format",
        "json",
        "--log-level",
        "debug",
        ORDERLEDGER_METRICS_TOKEN=METRICS_TOKEN,
        ORDERLEDGER_FORWARDED_ALLOW_IPS="127.0.0.1",
    ) as served:
        api = f"{served.base}/api/v2"
        proxied = {"X-Forwarded-For": "203.0.113.9"}
        httpx.post(api, data={"key": key, "action": "balance"}, headers=proxied)
        httpx.post(api, json={"key": key, "action": "services"})
        httpx.get(api, params={"key": key, "action": "status", "order": "1"})
        httpx.post(api, files={"key": (None, key), "action": (None, "balance")})
        httpx.post(api, data={"key": "wrong-key-5d1e", "action": "balance"})
        httpx.post(api, data={"key": key, "action": "no-such-action"})
        httpx.post(
            api,
            data={
                "key": key,
                "action": "add",
                "service": "1",
                "quantity": "100",
                "link": "https://x/1",
            },
        )
        for token in (operator, "wrong-token-99ab"):
            httpx.post(
                f"{served.base}/dispatch/orders/claim",
                json={"limit": 1},
                headers={"Authorization": f"Bearer {token}", "X-Api-Key": key},
            )
        httpx.get(
            f"{served.base}/audit/orders/1/history", headers={"Authorization": f"Bearer {auditor}"}
        )
        httpx.get(f"{served.base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        httpx.get(f"{served.base}/readyz?token={METRICS_TOKEN}", headers={"Cookie": f"key={key}"})
        time.sleep(0.5)  # the last records are written after their answers
    output = served.log.read_text(encoding="utf-8")
    for secret in secrets:
        assert secret not in output
    records = access_records(served)
    assert all(isinstance(r["duration_ms"], float) for r in records)
    by_path = [(r["method"], r["path"], r.get("action"), r["status"]) for r in records]
    assert ("POST", "/api/v2", "balance", 200) in by_path
    assert ("GET", "/api/v2", "status", 200) in by_path
    assert ("POST", "/api/v2", "balance", 401) in by_path
    assert ("POST", "/api/v2", "unknown", 400) in by_path
    assert ("POST", "/api/v2", "add", 200) in by_path
    [proxied] = [r for r in records if r["client"] != "127.0.0.1"]
    assert (proxied["client"], proxied["account"]) == ("203.0.113.9", "network")
    assert [r.get("operator") for r in records if r["path"] == "/dispatch/orders/claim"] == [
        "bot-7",
        None,
    ]
    assert [r.get("auditor") for r in records if r["path"].startswith("/audit/")] == ["ann"]
    assert sum(1 for r in records if r.get("account") == "network") == 6


def test_the_text_log_and_an_untrusted_forwarded_address(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    _, key = open_account(store, name="network", deposit="100")
    settle(store)
    with serving(settings, tmp_path, workers=1) as served:
        httpx.post(
            f"{served.base}/api/v2",
            data={"key": key, "action": "balance"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        metrics = httpx.get(f"{served.base}/metrics")  # no token set: open
        assert metrics.status_code == 200
        time.sleep(0.5)
    [access] = [line for line in served.log_lines() if " action=balance " in line]
    assert " INFO orderledger.access: " in access
    assert access.endswith(" account=network")
    assert ' 127.0.0.1 "POST /api/v2" action=balance status=200 ' in access
    assert "203.0.113.9" not in served.log.read_text(encoding="utf-8")


def test_a_quieter_log_level_leaves_the_access_log_out(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    with serving(settings, tmp_path, "--log-level", "warning", workers=1) as served:
        assert httpx.get(f"{served.base}/healthz").status_code == 200
    assert not [line for line in served.log_lines() if "orderledger.access" in line]
    assert not [line for line in served.log_lines() if "uvicorn.error" in line]
