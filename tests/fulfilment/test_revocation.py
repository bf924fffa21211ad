"""`operators list|revoke`, `auditors list|revoke`: names without tokens, and a revoked token
refused at once, by every worker of a real server."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path

import httpx
import pytest

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.domain.ids import token_holder_id
from orderledger.domain.token_holder import TokenHolder
from orderledger.storage.credentials import Role, token_hash
from orderledger.storage.settings import Settings
from tests.conftest import use_settings
from tests.integration.servers import running_server

REQUESTS = 40  # fresh connections, spread by the kernel over both workers


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    use_settings(monkeypatch, settings)


def issued(capsys: pytest.CaptureFixture[str], group: str, name: str) -> str:
    assert main([group, "create", name]) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("group", "role"), [("operators", Role.OPERATOR), ("auditors", Role.AUDITOR)]
)
def test_list_shows_names_and_counts_never_a_token_or_its_hash(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str], group: str, role: Role
) -> None:
    tokens = [issued(capsys, group, "night-bot"), issued(capsys, group, "night-bot")]
    tokens.append(issued(capsys, group, "day-bot"))
    for argv in ([group, "list"], [group, "list", "--json"]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "night-bot" in out and "day-bot" in out
        for token in tokens:
            assert token not in out and token_hash(token) not in out
    assert main([group, "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)[f"{role.value}s"]
    assert [(h["name"], h["tokens"]) for h in listed] == [("day-bot", 1), ("night-bot", 2)]


@pytest.mark.parametrize(
    ("group", "role"), [("operators", Role.OPERATOR), ("auditors", Role.AUDITOR)]
)
def test_revoke_removes_every_token_of_the_name_and_records_an_event(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str], group: str, role: Role
) -> None:
    gone = [issued(capsys, group, "old-bot"), issued(capsys, group, "old-bot")]
    kept = issued(capsys, group, "new-bot")
    assert main([group, "revoke", "old-bot"]) == 0
    assert "revoked 2 token(s)" in capsys.readouterr().out
    assert all(store.credentials.find(token, role) is None for token in gone)
    assert store.credentials.find(kept, role) is not None
    holder = store.ledger.load(TokenHolder, token_holder_id(role.value, "old-bot"))
    assert holder is not None and holder.revoked == 2
    events = list(store.ledger.events.get(holder.id))
    assert [type(e).__qualname__ for e in events] == ["TokenHolder.Named", "TokenHolder.Revoked"]
    assert all(token.encode() not in str(vars(e)).encode() for e in events for token in gone)

    assert main([group, "revoke", "old-bot"]) == 1
    assert f"no {role.value} 'old-bot' holds a token" in capsys.readouterr().err


def test_an_api_key_of_the_same_name_is_not_revoked_by_operators_revoke(
    store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    key = store.credentials.issue(Role.API, "bot", "bot")
    issued(capsys, "operators", "bot")
    assert main(["operators", "revoke", "bot"]) == 0
    assert store.credentials.find(key, Role.API) is not None


def socket_owner(server_port: int, client_port: int) -> int:
    """The process holding the server's end of this connection (the worker that took it)."""
    wanted = f"0100007F:{server_port:04X} 0100007F:{client_port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    inode = next(line.split()[9] for line in lines if " ".join(line.split()[1:3]) == wanted)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                for fd in (entry / "fd").iterdir():
                    if os.readlink(fd) == f"socket:[{inode}]":
                        return int(entry.name)
    raise AssertionError(f"no process holds the connection from port {client_port}")


def asked(url: str, token: str) -> tuple[int, int]:
    """One request on a connection of its own: its status and the worker that answered."""
    address = httpx.URL(url)
    assert address.port is not None
    with socket.create_connection(("127.0.0.1", address.port), timeout=10) as connection:
        request = (
            f"GET {address.raw_path.decode()} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        )
        connection.sendall(request.encode())
        status = int(connection.recv(65536).split(b" ", 2)[1])
        # Still open (keep-alive): the server's end belongs to the worker that answered.
        return status, socket_owner(address.port, connection.getsockname()[1])


def statuses(url: str, token: str) -> tuple[set[int], set[int]]:
    """The statuses of requests, each on a fresh connection (the kernel spreads them over
    the workers' sockets), until both workers answered some; and those workers. A worker
    listens once its projector has caught up, so the first ones may all go to the other."""
    answers = [asked(url, token) for _ in range(REQUESTS)]
    deadline = time.monotonic() + 60
    while len({worker for _, worker in answers}) < 2 and time.monotonic() < deadline:
        answers.append(asked(url, token))
    return {status for status, _ in answers}, {worker for _, worker in answers}


@pytest.mark.slow
def test_a_revoked_token_is_refused_at_once_by_every_worker_of_a_running_server(
    settings: Settings, store: Store, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    operator = issued(capsys, "operators", "bot-1")
    auditor = issued(capsys, "auditors", "aud-1")
    with running_server(settings, workers=2) as api:
        base = api.removesuffix("/api/v2")
        dispatch = f"{base}/dispatch/orders/cancel-requests"
        audit = f"{base}/audit/orders/1/history"
        # Both workers have just admitted each token (whatever they might keep of it).
        admitted, workers = statuses(dispatch, operator)
        assert admitted == {200} and len(workers) == 2
        admitted, workers = statuses(audit, auditor)
        assert admitted == {404} and len(workers) == 2  # admitted: there is no order 1
        assert main(["operators", "revoke", "bot-1"]) == 0
        assert main(["auditors", "revoke", "aud-1"]) == 0
        assert statuses(dispatch, operator) == ({401}, workers)
        assert statuses(audit, auditor) == ({401}, workers)
