"""The benchmark's load generator fails a run on any answer that is not what was asked."""

from __future__ import annotations

import msgspec
import pytest

from orderledger.bench.load import CheckFailed, LoadSpec, check_answer

BATCH = LoadSpec(port=1, check="batch", connections=1, warmup=0, duration=1, batch_size=2)
ORDER = (
    b'{"charge":"0.25000","start_count":"0","status":"Pending","remains":"100","currency":"USD"}'
)


def test_a_batch_answer_with_every_order_passes() -> None:
    answer = check_answer(BATCH, 200, b'{"1":%s,"2":%s}' % (ORDER, ORDER))
    assert set(answer) == {"1", "2"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"1":%s,"x":{"error":"Incorrect order ID"}}' % ORDER,  # one order refused
        b'{"1":%s}' % ORDER,  # one order missing
        b"[]",
        b"not json",
    ],
)
def test_a_batch_answer_short_of_an_order_fails(body: bytes) -> None:
    with pytest.raises((CheckFailed, msgspec.DecodeError)):  # the run counts both as failures
        check_answer(BATCH, 200, body)


def test_an_http_error_fails() -> None:
    with pytest.raises(CheckFailed):
        check_answer(BATCH, 500, b"oops")


BALANCE = LoadSpec(port=1, check="balance", connections=1, warmup=0, duration=1)


def test_a_balance_answer_passes() -> None:
    answer = check_answer(BALANCE, 200, b'{"balance":"100.84292","currency":"USD"}')
    assert answer["currency"] == "USD"


@pytest.mark.parametrize(
    "body",
    [
        b'{"error":"Invalid API key"}',
        b'{"balance":100.8,"currency":"USD"}',  # a number where the contract says a string
        b'{"balance":"100.84292"}',
        b"[]",
    ],
)
def test_an_answer_that_is_not_a_balance_fails(body: bytes) -> None:
    with pytest.raises(CheckFailed):
        check_answer(BALANCE, 200, body)


def test_an_unknown_check_fails_rather_than_passing_everything() -> None:
    spec = LoadSpec(port=1, check="balanse", connections=1, warmup=0, duration=1)
    with pytest.raises(CheckFailed, match="unknown check"):
        check_answer(spec, 200, b"{}")
