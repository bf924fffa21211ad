"""What a transport failure or an HTTP answer proves about a request (errors.py says why).

The line runs between "never sent" and "sent": a refused connection, a failed DNS look-up or
a connect timeout happen before a byte of the request leaves, so nothing was done; once it
may have left (a read timeout, a connection cut before the answer, a 5xx from a server that
may have placed the order and then failed), a request that changes something has an unknown
outcome. A read changes nothing, so any failure of one is only a reason to try later. 429 and
503 say "not now" before doing anything; 401 says our key is refused; any other 4xx is the
request refused by HTTP itself (a proxy, a firewall, a wrong path), so nothing was done.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from orderledger.upstream.answers import describe, error_text, parse, raise_error
from orderledger.upstream.errors import (
    BackOff,
    KeyRefused,
    OutcomeUnknown,
    UnreadableAnswer,
    UpstreamError,
)

# The request never left: nothing can have been done.
NEVER_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)
NOT_NOW = {429, 503}


def transport_failure(error: httpx.RequestError, changes: bool) -> UpstreamError:
    reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if isinstance(error, NEVER_SENT):
        return BackOff(f"not sent: {reason}")
    if changes:
        return OutcomeUnknown(f"sent, no answer: {reason}")
    return BackOff(f"no answer: {reason}")


def unreadable(error: UnreadableAnswer, changes: bool) -> UpstreamError:
    return OutcomeUnknown(error.reason) if changes else BackOff(error.reason)


def answer_of(response: httpx.Response, changes: bool, now: datetime | None = None) -> Any:
    """The parsed JSON of a 2xx answer (an error text in it stays for the reader), or raises
    what a failed answer proves."""
    code = response.status_code
    if code == 401:
        raise KeyRefused(f"HTTP 401: {said(response)}")
    if code in NOT_NOW:
        wait = retry_after(response.headers.get("Retry-After"), now or datetime.now(UTC))
        raise BackOff(f"HTTP {code}: {said(response)}", retry_after=wait)
    if code >= 500:
        failure = OutcomeUnknown if changes else BackOff
        raise failure(f"HTTP {code}: {said(response)}")
    if 300 <= code < 400:
        raise BackOff(f"HTTP {code}: redirected to {response.headers.get('Location', '?')}")
    if code >= 400:
        text = json_error(response)
        if text is not None:
            raise_error(text)
        raise BackOff(f"HTTP {code}: {said(response)}")
    try:
        return parse(response.content)
    except UnreadableAnswer as error:
        raise unreadable(error, changes) from None


def json_error(response: httpx.Response) -> str | None:
    try:
        return error_text(parse(response.content))
    except UnreadableAnswer:
        return None


def said(response: httpx.Response) -> str:
    """What an answer said, for a reason: its error text, or the start of its body."""
    text = json_error(response)
    return text if text is not None else describe(response.content)


def retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After in seconds, written as seconds or as an HTTP date; None when absent or odd."""
    text = (value or "").strip()
    if not text:
        return None
    if text.replace(".", "", 1).isdigit():
        return float(text)  # a wait, not money
    return retry_at(text, now)


def retry_at(text: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
