"""The pieces of health, metrics and logs that need no server: outcomes, readiness, formats."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest
from prometheus_client import Counter, Histogram

from orderledger.http.health import Operations, readiness
from orderledger.http.logs import (
    ACCESS_LOGGER,
    ACCESS_TEXT,
    BatchedStreamHandler,
    JsonFormatter,
    log_config,
)
from orderledger.http.metrics import (
    LATENCY,
    LATENCY_BUCKETS,
    REQUESTS,
    RequestTally,
    StoreFigures,
    exposition,
)
from orderledger.http.observability import NOTE, Observed, outcome_of
from orderledger.views.standing import QueueDepth, Standing


@pytest.mark.parametrize(
    ("status", "refused", "unauthorized", "outcome"),
    [
        (200, False, False, "ok"),
        (200, True, False, "refused"),  # {"error": "Not enough funds on balance"}
        (400, False, False, "refused"),  # Invalid action with a valid key
        (200, True, True, "unauthorized"),  # Invalid API key answered 200 (ERRORS_AS_200)
        (401, True, True, "unauthorized"),
        (401, True, False, "unauthorized"),  # a bearer token refused
        (404, True, False, "refused"),
        (503, True, False, "failed"),
    ],
)
def test_each_answer_has_one_outcome(
    status: int, refused: bool, unauthorized: bool, outcome: str
) -> None:
    assert outcome_of(status, refused, unauthorized) == outcome


def operations(max_lag: int) -> Operations:
    return Operations(
        reads=None,  # type: ignore[arg-type]
        clock=lambda: datetime.now(UTC),
        pools=dict,
        tally=RequestTally(),
        max_lag=max_lag,
    )


def test_ready_while_every_read_model_is_within_the_lag() -> None:
    found = Standing(head=120, positions={"order_status": 100, "catalogue": 120}, stopped={})
    ready, body = readiness(operations(20), found)
    assert ready
    assert body["projections"]["order_status"] == {"position": 100, "lag": 20}
    assert "reasons" not in body


def test_not_ready_names_each_read_model_behind_and_each_stopped() -> None:
    found = Standing(
        head=150,
        positions={"order_status": 100, "catalogue": 150},
        stopped={"catalogue": "stopped at event 151 (Service.Updated ...): KeyError: 'x'"},
    )
    ready, body = readiness(operations(20), found)
    assert not ready
    assert body["reasons"] == [
        "order_status is 50 events behind the log (at most 20)",
        "catalogue stopped at event 151 (Service.Updated ...): KeyError: 'x'",
    ]


def record(name: str, message: str, args: tuple[object, ...]) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, "", 0, message, args, None)


def test_an_access_record_in_json_names_each_field() -> None:
    fields = ("10.0.0.9", "POST", "/api/v2", "status", 200, 1.23456, "account", "network")
    line = JsonFormatter().format(record(ACCESS_LOGGER, ACCESS_TEXT, fields))
    entry = json.loads(line)
    assert "\n" not in line
    assert {k: entry[k] for k in entry if k != "time"} == {
        "level": "INFO",
        "logger": "orderledger.access",
        "client": "10.0.0.9",
        "method": "POST",
        "path": "/api/v2",
        "action": "status",
        "status": 200,
        "duration_ms": 1.23,
        "account": "network",
    }
    assert entry["time"].endswith("+00:00")


def test_an_access_record_in_text() -> None:
    fields = ("10.0.0.9", "GET", "/healthz", "GET /healthz", 200, 0.5, "user", "-")
    assert record(ACCESS_LOGGER, ACCESS_TEXT, fields).getMessage() == (
        '10.0.0.9 "GET /healthz" action=GET /healthz status=200 0.50ms user=-'
    )


def test_any_other_record_in_json_has_its_message_and_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord(
            "x", logging.ERROR, "", 0, "failed %s", ("here",), sys.exc_info()
        )
    entry = json.loads(JsonFormatter().format(failed))
    assert entry["message"] == "failed here"
    assert "ValueError: boom" in entry["exception"]


def test_the_log_configuration_refuses_an_unknown_level_or_format() -> None:
    assert log_config("debug", "json")["root"]["level"] == "DEBUG"
    with pytest.raises(ValueError):
        log_config("verbose", "text")
    with pytest.raises(ValueError):
        log_config("info", "xml")


def test_the_store_figures_in_the_text_format() -> None:
    found = Standing(head=7, positions={"order_status": 5}, stopped={})
    text = exposition(StoreFigures(found, [QueueDepth("order", 3, 1, 2)])).decode()
    assert "orderledger_events_total 7.0" in text
    assert 'orderledger_projection_lag_events{projection="order_status"} 2.0' in text
    assert 'orderledger_claim_queue_depth{kind="order"} 3.0' in text
    assert 'orderledger_claims_expired{kind="order"} 1.0' in text
    assert 'orderledger_claims_held{kind="order"} 2.0' in text


@pytest.mark.parametrize("form", ["text", "json"])
def test_an_access_line_made_directly_is_the_line_its_record_would_be(form: str) -> None:
    stream = io.StringIO()
    handler = BatchedStreamHandler(stream)
    handler.setFormatter(
        JsonFormatter()
        if form == "json"
        else logging.Formatter(log_config()["formatters"]["orderledger"]["format"])
    )
    fields = ("10.0.0.9", "POST", "/api/v2", "add", 200, 3.14159, "account", "network")
    handler.access(fields)  # no event loop runs: written at once
    direct = stream.getvalue()
    handler.emit(record(ACCESS_LOGGER, ACCESS_TEXT, fields))
    formatted = stream.getvalue()[len(direct) :]
    assert direct.endswith("\n") and formatted.endswith("\n")
    if form == "json":
        a, b = json.loads(direct), json.loads(formatted)
        assert a.pop("time")[:19] == b.pop("time")[:19]
        assert a == b
    else:  # the same after the time, which is to the millisecond
        assert direct[:19] == formatted[:19]
        assert direct[23:] == formatted[23:]


def test_lines_made_while_the_loop_runs_go_out_together_after_its_turn() -> None:
    stream = io.StringIO()
    handler = BatchedStreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))

    async def answers() -> str:
        handler.emit(record("x", "first", ()))
        handler.emit(record("x", "second", ()))
        held = stream.getvalue()
        await asyncio.sleep(0)
        return held

    assert asyncio.run(answers()) == ""
    assert stream.getvalue() == "first\nsecond\n"


def test_without_the_database_the_scrape_says_so_and_keeps_the_rest() -> None:
    text = exposition(StoreFigures(None, [])).decode()
    assert "orderledger_database_up 0.0" in text
    assert "orderledger_projection_position" not in text
    assert "# TYPE orderledger_request_duration_seconds histogram" in text


def test_the_tally_hands_the_library_what_observing_each_answer_would() -> None:
    seconds = [0.0004, 0.001, 0.0011, 0.003, 0.003, 0.7, 12.0, 0.02]
    reference = Histogram("reference", "", buckets=LATENCY_BUCKETS, registry=None)
    tally = RequestTally()
    for s in seconds:
        reference.observe(s)
        tally.count("tally-test", "ok", s)
    tally.flush()

    def figures(metric: Histogram | Counter, name: str) -> dict[str, float]:
        return {
            sample.name.replace(name, "") + str(sample.labels.get("le", "")): sample.value
            for family in metric.collect()
            for sample in family.samples
            if sample.labels.get("action", "tally-test") == "tally-test"
            and not sample.name.endswith("_created")
        }

    assert figures(LATENCY, LATENCY._name) == figures(reference, "reference")
    counted = REQUESTS.labels("tally-test", "ok")._value.get()
    assert counted == len(seconds)
    tally.flush()  # nothing new: nothing added
    assert REQUESTS.labels("tally-test", "ok")._value.get() == len(seconds)


def test_a_path_with_a_newline_stays_on_its_own_line() -> None:
    stream = io.StringIO()
    handler = BatchedStreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger(ACCESS_LOGGER)
    saved = access.handlers[:], access.propagate, access.level
    access.handlers[:] = [handler]
    access.propagate, access.level = False, logging.INFO
    try:
        observed = Observed(app=None, reads=None, tally=RequestTally())  # type: ignore[arg-type]
        scope = {"type": "http", "method": "GET", "path": "/x\nforged record", "client": None}
        asyncio.run(observed.answered(scope, 404, True, 0.001))
    finally:
        access.handlers[:], access.propagate, access.level = saved
    # The record went through the handler's own formatter ("%(message)s"), on one line.
    assert (
        stream.getvalue() == '- "GET /x\\nforged record" action=unrouted status=404 1.00ms user=-\n'
    )


def test_a_method_of_its_own_making_is_counted_as_other() -> None:
    """A client may send any method name; each must not become a metric of its own (a label
    per name would grow every worker's figures, and `/metrics`, without end)."""
    tally = RequestTally()
    observed = Observed(app=None, reads=None, tally=tally)  # type: ignore[arg-type]
    access = logging.getLogger(ACCESS_LOGGER)
    saved = access.level
    access.setLevel(logging.WARNING)
    try:
        for method in ("X1", "X2", "PURGE", "GET"):
            scope = {"type": "http", "method": method, "path": "/api/v2", "client": None}
            scope["path_template"] = "/api/v2"
            asyncio.run(observed.answered(scope, 405, True, 0.001))
    finally:
        access.setLevel(saved)
    assert tally.counts == {("OTHER /api/v2", "refused"): 3, ("GET /api/v2", "refused"): 1}


def test_an_api_request_whose_key_cannot_be_looked_up_is_counted_under_its_action(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the database is away the key's look-up fails: the request is still counted
    and logged as the action it asked for (then as failed, by its 503), not as unrouted."""
    from orderledger.http import api_v2

    async def unreachable(*_: object) -> None:
        raise OSError("the database is away")

    monkeypatch.setattr(api_v2, "key_holder", unreachable)
    scope: dict[str, Any] = {"type": "http"}
    ctx = cast("api_v2.ApiContext", SimpleNamespace(reads=None))
    with pytest.raises(OSError):
        asyncio.run(api_v2.respond(ctx, {"key": "k", "action": "balance"}, scope))  # type: ignore[arg-type]
    assert scope[NOTE] == ("balance", None)
