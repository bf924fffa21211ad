"""An upstream provider in memory, answering API v2 through httpx's MockTransport, with the
faults a test asks for: what the forwarder must survive without a real server's timing."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx

from orderledger.upstream.client import UpstreamClient

ACTIVE = "You have active order with this link. Please wait until order being completed."
RECEIVED = "Your cancellation request has been received."


@dataclass
class Placed:
    fields: dict[str, str]
    status: str = "Pending"
    charge: str = "1.00000"
    remains: int = 0
    start_count: int = 0
    cancel_asked: bool = False


@dataclass
class FakeUpstream:
    orders: dict[str, Placed] = field(default_factory=dict)
    # The next `add`s' fates, in turn: "timeout after placing", "timeout before", "funds",
    # "refuse", "503", "connect"; an empty list places each.
    faults: list[str] = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)  # ids whose status is garbage
    refills: dict[str, str] = field(default_factory=dict)  # refill id -> its status
    refill_of: dict[str, str] = field(default_factory=dict)  # order id -> its refill id
    status_calls: list[list[str]] = field(default_factory=list)
    adds: int = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        action = form.pop("action")
        form.pop("key")
        match action:
            case "add":
                return self.add(form, request)
            case "status":
                return self.status(form["orders"].split(","))
            case "cancel":
                return self.cancel(form["orders"].split(","))
            case "refill":
                return self.refill(form["order"])
            case "refill_status":
                return self.refill_status(form["refills"].split(","))
            case "balance":
                return answer({"balance": "10.00000", "currency": "USD"})
        return answer({"error": "Invalid action"}, 400)

    def add(self, form: dict[str, str], request: httpx.Request) -> httpx.Response:
        fault = self.faults.pop(0) if self.faults else ""
        if fault == "connect":
            raise httpx.ConnectError("connection refused", request=request)
        if fault == "timeout before":
            raise httpx.ReadTimeout("timed out", request=request)
        if fault == "funds":
            return answer({"error": "Not enough funds on balance"})
        if fault == "refuse":
            return answer({"error": "Incorrect link"})
        if fault == "busy link":
            return answer({"error": ACTIVE})
        if fault == "503":
            return answer({"error": "busy"}, 503)
        self.adds += 1
        number = str(9000 + self.adds)
        quantity = int(form.get("quantity", "1"))
        self.orders[number] = Placed(dict(form), remains=quantity)
        if fault == "timeout after placing":
            raise httpx.ReadTimeout("timed out", request=request)
        return answer({"order": int(number)})

    def status(self, ids: list[str]) -> httpx.Response:
        self.status_calls.append(ids)
        body: dict[str, object] = {}
        for i in ids:
            placed = self.orders.get(i)
            if i in self.unreadable:
                body[i] = {"status": "Teleported", "charge": "x"}
            elif placed is None:
                body[i] = {"error": "Incorrect order ID"}
            else:
                body[i] = {
                    "charge": placed.charge,
                    "start_count": str(placed.start_count),
                    "status": placed.status,
                    "remains": str(placed.remains),
                    "currency": "USD",
                }
        return answer(body)

    def cancel(self, ids: list[str]) -> httpx.Response:
        items = []
        for i in ids:
            self.orders[i].cancel_asked = True
            items.append({"order": int(i), "cancel": RECEIVED})
        return answer(items)

    def refill(self, order: str) -> httpx.Response:
        if order not in self.orders or order in self.refill_of:
            return answer({"error": "Order cannot be refilled"})
        number = str(700 + len(self.refills))
        self.refills[number], self.refill_of[order] = "Pending", number
        return answer({"refill": number})

    def refill_status(self, ids: list[str]) -> httpx.Response:
        items = [{"refill": int(i), "status": self.refills[i]} for i in ids]
        return answer(items)

    def set(self, number: str, status: str, remains: int, charge: str = "1.00000") -> None:
        placed = self.orders[number]
        placed.status, placed.remains, placed.charge = status, remains, charge

    def client(self) -> UpstreamClient:
        return UpstreamClient(
            "https://upstream.example/api/v2", "k3y", transport=httpx.MockTransport(self.handler)
        )

    def clients(self) -> Callable[[str], UpstreamClient]:
        made = self.client()
        return lambda name: made


def answer(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body, default=str).encode())
