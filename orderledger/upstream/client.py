"""A client of another provider's API v2: one POST per call, its answer read (answers.py)
and its failures told apart by what they prove (failures.py, errors.py).

`add`, `cancel` and `refill` change something at the upstream: a failure after the request
may have left is OutcomeUnknown. `balance`, `services`, `status` and `refill_status` only
read: any failure of theirs is BackOff. The API key goes in the form body and nowhere else:
not in a reason, a log line or a repr (a reason that would quote it has it blanked).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

import httpx

from orderledger.upstream.answers import (
    CancelAnswer,
    OrderAnswer,
    RefillAnswer,
    ServiceList,
    UpstreamBalance,
    read_added,
    read_balance,
    read_cancels,
    read_refill,
    read_refill_statuses,
    read_services,
    read_statuses,
)
from orderledger.upstream.errors import UnreadableAnswer, UpstreamError
from orderledger.upstream.failures import answer_of, transport_failure, unreadable

log = logging.getLogger(__name__)

MAX_IDS = 100  # the protocol's limit for one multi request
CHANGES = frozenset({"add", "cancel", "refill"})
T = TypeVar("T")


class UpstreamClient:
    """`with UpstreamClient("https://provider.example/api/v2", key) as upstream: ...`"""

    def __init__(
        self,
        url: str,
        key: str,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not key:
            raise ValueError("an upstream needs an API key")
        self._url = url
        self._key = key
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,  # a redirected POST is not the request we meant to send
            headers={"User-Agent": "orderledger", "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        url = httpx.URL(self._url)
        return f"UpstreamClient({f'{url.scheme}://{url.netloc.decode()}{url.path}'!r})"

    def __enter__(self) -> UpstreamClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ---- the actions ----------------------------------------------------------------------

    def balance(self) -> UpstreamBalance:
        return self._call("balance", {}, read_balance)

    def services(self) -> ServiceList:
        return self._call("services", {}, read_services)

    def add(self, fields: Mapping[str, str]) -> str:
        """Place an order (every field of it, `service` included); the upstream's order id."""
        if "service" not in fields or {"key", "action"} & fields.keys():
            raise ValueError("an order's fields name its service, and neither key nor action")
        return self._call("add", dict(fields), read_added)

    def status_many(self, ids: Sequence[str]) -> dict[str, OrderAnswer]:
        wanted = id_list(ids)
        if not wanted:
            return {}
        return self._call(
            "status", {"orders": ",".join(wanted)}, lambda d: read_statuses(d, wanted)
        )

    def cancel_many(self, ids: Sequence[str]) -> dict[str, CancelAnswer]:
        wanted = id_list(ids)
        if not wanted:
            return {}
        return self._call("cancel", {"orders": ",".join(wanted)}, lambda d: read_cancels(d, wanted))

    def refill(self, order_id: str) -> str:
        """Ask for a refill of an order; the upstream's refill id."""
        return self._call("refill", {"order": id_list([order_id])[0]}, read_refill)

    def refill_status_many(self, ids: Sequence[str]) -> dict[str, RefillAnswer]:
        wanted = id_list(ids)
        if not wanted:
            return {}
        return self._call(
            "refill_status",
            {"refills": ",".join(wanted)},
            lambda d: read_refill_statuses(d, wanted),
        )

    # ---- one request ----------------------------------------------------------------------

    def _call(self, action: str, fields: dict[str, str], read: Callable[[Any], T]) -> T:
        changes = action in CHANGES
        try:
            try:
                response = self._http.post(
                    self._url, data={"key": self._key, "action": action, **fields}
                )
            except httpx.RequestError as error:
                raise transport_failure(error, changes) from None
            log.debug("upstream %s: HTTP %s", action, response.status_code)
            try:
                return read(answer_of(response, changes))
            except UnreadableAnswer as error:
                raise unreadable(error, changes) from None
        except UpstreamError as error:
            log.debug("upstream %s: %s", action, type(error).__name__)
            raise self._without_key(error) from None

    def _without_key(self, error: UpstreamError) -> UpstreamError:
        reason = error.reason
        written_forms = {
            self._key,
            quote(self._key, safe=""),
            quote_plus(self._key),
            json.dumps(self._key)[1:-1],  # as an answer's text quoted back in a reason
        }
        for written in written_forms:
            reason = reason.replace(written, "[key]")
        error.reason = reason
        error.args = (reason,)
        # The httpx error it came from holds the request, and the request holds the key.
        error.__context__ = error.__cause__ = None
        return error


def id_list(ids: Sequence[str]) -> list[str]:
    """The ids of a multi request, stripped and each once, in order (at most MAX_IDS)."""
    if isinstance(ids, str):
        raise TypeError("ids are a sequence of ids, not one string")
    wanted = list(dict.fromkeys(str(i).strip() for i in ids))
    if len(wanted) > MAX_IDS:
        raise ValueError(f"at most {MAX_IDS} ids in one request, not {len(wanted)}")
    if any(not i or "," in i for i in wanted):
        raise ValueError("an id is empty or holds a comma")
    return wanted
