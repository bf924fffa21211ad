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
