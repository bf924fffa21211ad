"""What the client makes of an upstream that fails, each failure from a real socket: an `add`
is retried only on an answer that proves nothing was placed; a read backs off on any failure;
and the API key shows in no reason, repr, traceback or log line."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from orderledger.upstream.client import UpstreamClient
from orderledger.upstream.errors import (
    BackOff,
    FundsShort,
    KeyRefused,
    OutcomeUnknown,
    Refused,
    UpstreamError,
)
from tests.upstream.fake_upstreams import (
    Behaviour,
    answering,
    cutting,
    cutting_mid_answer,
    fake_upstream,
    full_backlog_address,
    never_answering,
    refusing_address,
)

KEY = "s3cr3t-k3y+/ü"  # what quoting could change: a plus, a slash, a non-ASCII letter
ORDER = {"service": "1", "link": "https://example.com/p/1", "quantity": "100"}
QUICK = 0.5  # seconds: every timeout of these tests


def add(url: str) -> str:
    with UpstreamClient(url, KEY, timeout=QUICK) as upstream:
        return upstream.add(ORDER)


def status(url: str) -> object:
    with UpstreamClient(url, KEY, timeout=QUICK) as upstream:
        return upstream.status_many(["1"])


def balance(url: str) -> object:
    with UpstreamClient(url, KEY, timeout=QUICK) as upstream:
        return upstream.balance()


# ---- never sent: nothing was done, for every action ---------------------------------------


@pytest.mark.parametrize("call", [add, status, balance])
def test_a_refused_connection_backs_off_even_for_an_add(call: Callable[[str], object]) -> None:
    with refusing_address() as url, pytest.raises(BackOff) as raised:
        call(url)
    assert type(raised.value) is BackOff
    assert "refused" in raised.value.reason.lower()


def test_a_connect_timeout_backs_off_even_for_an_add() -> None:
    with full_backlog_address() as url, pytest.raises(BackOff) as raised:
        add(url)
    assert type(raised.value) is BackOff


def test_a_name_that_does_not_resolve_backs_off_even_for_an_add() -> None:
    with pytest.raises(BackOff):
        add("http://no-such-upstream.invalid/api/v2")


# ---- sent, then nothing: an add's outcome is unknown, a read backs off --------------------


@pytest.mark.parametrize("behaviour", [never_answering, cutting, cutting_mid_answer])
def test_an_add_sent_but_not_answered_is_of_unknown_outcome_and_sent_once(
    behaviour: Behaviour,
) -> None:
    with fake_upstream(behaviour) as server:
        with pytest.raises(OutcomeUnknown):
            add(server.url)
        assert len(server.requests) == 1


@pytest.mark.parametrize("behaviour", [never_answering, cutting, cutting_mid_answer])
@pytest.mark.parametrize("call", [status, balance])
def test_a_read_sent_but_not_answered_backs_off(
    behaviour: Behaviour, call: Callable[[str], object]
) -> None:
    with fake_upstream(behaviour) as server, pytest.raises(BackOff):
        call(server.url)


@pytest.mark.parametrize(
    "body", [b"", b"<html><body>Bad Gateway</body></html>", b'{"status": "ok"}', b"Notice: {"]
)
def test_an_add_answered_in_no_documented_shape_is_of_unknown_outcome(body: bytes) -> None:
    with fake_upstream(answering(200, body)) as server, pytest.raises(OutcomeUnknown):
        add(server.url)


@pytest.mark.parametrize("body", [b"", b"<html><body>Bad Gateway</body></html>", b"[1, 2"])
def test_a_read_answered_in_no_documented_shape_backs_off(body: bytes) -> None:
    with fake_upstream(answering(200, body)) as server, pytest.raises(BackOff):
        balance(server.url)


@pytest.mark.parametrize("code", [500, 502, 504])
def test_a_server_error_leaves_an_add_unknown_and_a_read_backing_off(code: int) -> None:
    with fake_upstream(answering(code, b"<h1>Internal Server Error</h1>")) as server:
        with pytest.raises(OutcomeUnknown) as unknown:
            add(server.url)
        assert f"HTTP {code}" in unknown.value.reason
        with pytest.raises(BackOff):
            status(server.url)


# ---- "not now": back off, for how long the upstream says ----------------------------------


def raised_by(behaviour: Behaviour, call: Callable[[str], object]) -> UpstreamError:
    """What `call` raises against an upstream behaving so."""
    with fake_upstream(behaviour) as server:
        try:
            call(server.url)
        except UpstreamError as error:
            return error
    raise AssertionError("the call did not fail")


@pytest.mark.parametrize("code", [429, 503])
def test_too_many_requests_and_unavailable_back_off_for_the_seconds_said(code: int) -> None:
    error = raised_by(answering(code, b"slow down", {"Retry-After": "7"}), add)
    assert type(error) is BackOff
    assert error.retry_after == 7.0


def test_a_retry_after_written_as_a_date_is_the_seconds_until_it() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    error = raised_by(answering(503, b"", {"Retry-After": later}), add)
    assert isinstance(error, BackOff)
    assert error.retry_after is not None
    assert 60 < error.retry_after <= 120


def test_an_unavailable_upstream_without_a_retry_after_backs_off_without_a_figure() -> None:
    error = raised_by(answering(503, b""), add)
    assert isinstance(error, BackOff)
    assert error.retry_after is None


# ---- the upstream's own answers -----------------------------------------------------------


def test_an_unknown_key_is_a_key_refused_whichever_way_it_is_said() -> None:
    assert isinstance(raised_by(answering(401, b'{"error": "Invalid API key"}'), add), KeyRefused)
    assert isinstance(
        raised_by(answering(200, b'{"error": "Invalid API key"}'), balance), KeyRefused
    )
    assert isinstance(raised_by(answering(401, b"<html>Unauthorized</html>"), status), KeyRefused)


def test_not_enough_funds_is_funds_short() -> None:
    error = raised_by(answering(200, b'{"error": "Not enough funds on balance"}'), add)
    assert isinstance(error, FundsShort)


def test_an_error_text_of_add_refuses_the_order_even_with_a_4xx_code() -> None:
    error = raised_by(answering(400, b'{"error": "Incorrect service ID"}'), add)
    assert type(error) is Refused
    assert error.reason == "Incorrect service ID"


def test_a_4xx_without_an_error_text_was_refused_before_it_reached_the_upstream() -> None:
    assert type(raised_by(answering(403, b"<html>Access denied</html>"), add)) is BackOff


def test_a_redirect_is_not_followed_and_nothing_was_done() -> None:
    moved = answering(301, b"", {"Location": "https://elsewhere.example/api/v2"})
    with fake_upstream(moved) as server:
        with pytest.raises(BackOff) as raised:
            add(server.url)
        assert len(server.requests) == 1
    assert "elsewhere.example" in raised.value.reason


# ---- the request as sent ------------------------------------------------------------------


def test_a_request_is_one_form_post_to_the_url_as_configured() -> None:
    with fake_upstream(answering(200, b'{"order": 23501}')) as server:
        assert add(server.url) == "23501"
    (request,) = server.requests
    assert request.startswith(b"POST /api/v2 HTTP/1.1\r\n")
    assert b"content-type: application/x-www-form-urlencoded" in request.lower()
    assert server.forms() == [{"key": KEY, "action": "add", **ORDER}]


def test_a_multi_request_sends_the_ids_once_each_comma_separated() -> None:
    not_found = answering(200, b'{"1": {"error": "Incorrect order ID"}}')
    with fake_upstream(not_found) as server, UpstreamClient(server.url, KEY) as upstream:
        upstream.status_many([" 1", "2", "1"])
    assert server.forms()[0]["orders"] == "1,2"


def test_more_than_a_hundred_ids_are_refused_before_anything_is_sent() -> None:
    with fake_upstream(answering(200, b"{}")) as server:
        with UpstreamClient(server.url, KEY) as upstream, pytest.raises(ValueError):
            upstream.status_many([str(n) for n in range(1, 102)])
        assert server.requests == []


def test_an_order_naming_a_key_or_action_of_its_own_is_refused_before_it_is_sent() -> None:
    with UpstreamClient("http://127.0.0.1:9/api/v2", KEY) as upstream:
        with pytest.raises(ValueError):
            upstream.add({**ORDER, "key": "other"})
        with pytest.raises(ValueError):
            upstream.add({"link": "x", "quantity": "1"})


# ---- the key stays secret -----------------------------------------------------------------

ECHOING_THE_KEY = [
    answering(200, f'{{"error": "Invalid API key {KEY}"}}'.encode()),
    answering(200, f"<html>key={KEY}</html>".encode()),
    answering(401, f"unknown key {KEY}".encode()),
    answering(500, f"Traceback: key={KEY}".encode()),
    answering(503, f"<p>{KEY}</p>".encode(), {"Retry-After": "1"}),
    answering(400, f'{{"error": "Incorrect link for key {KEY}"}}'.encode()),
    answering(200, f'{{"1": {{"error": "Invalid API key {KEY}"}}}}'.encode()),
    never_answering,
    cutting,
    cutting_mid_answer,
]


@contextmanager
def refused_address() -> Iterator[str]:
    with refusing_address() as url:
        yield url


def every_fault() -> Iterator[AbstractContextManager[Any]]:
    yield refused_address()
    yield full_backlog_address()
    for behaviour in ECHOING_THE_KEY:
        yield fake_upstream(behaviour)


def test_the_key_appears_in_no_reason_repr_traceback_or_log_of_any_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    kinds: set[type[UpstreamError]] = set()
    for fault in every_fault():
        with fault as where:
            url = where if isinstance(where, str) else where.url
            for call in (add, status, balance):
                try:
                    call(url)
                except UpstreamError as error:
                    kinds.add(type(error))
                    assert (error.__context__, error.__cause__) == (None, None)  # no request
                    texts += [str(error), repr(error), error.reason]
                    texts.append("".join(traceback.format_exception(error)))
    with UpstreamClient("http://127.0.0.1:9/api/v2", KEY) as upstream:
        texts.append(repr(upstream))
    texts.append(caplog.text)
    assert kinds == {BackOff, KeyRefused, OutcomeUnknown, Refused}
    encoded = {KEY, "s3cr3t-k3y%2B%2F%C3%BC", "s3cr3t-k3y+%2F%C3%BC", "s3cr3t-k3y"}
    assert [text for text in texts if any(secret in text for secret in encoded)] == []


def test_a_key_refused_is_a_back_off_so_a_forwarder_that_knows_only_back_off_waits() -> None:
    error = raised_by(answering(401, b""), add)
    assert isinstance(error, KeyRefused) and isinstance(error, BackOff)
    assert error.retry_after is None


@pytest.mark.parametrize("written", ["soon", "-5", "", "Tue, 99 Foo 2026"])
def test_a_retry_after_that_is_neither_seconds_nor_a_date_gives_no_figure(written: str) -> None:
    error = raised_by(answering(429, b"", {"Retry-After": written}), balance)
    assert isinstance(error, BackOff)
    assert error.retry_after is None
