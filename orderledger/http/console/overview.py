"""The overview: the business at a glance (views/overview.py reads it)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from orderledger.domain.money import plain
from orderledger.domain.order import OrderStatus
from orderledger.http.console.pages import page
from orderledger.http.console.parts import ConsoleParts
from orderledger.projections.registry import PROJECTIONS
from orderledger.views.overview import Overview as Figures

Raw = Request[Any, Any, Any]


def chart_data(figures: Figures) -> str:
    """The chart's series as JSON for console.js: days, orders, and each currency's charges
    (amounts as text: the chart draws them, the table beside it shows them exactly)."""
    return (
        msgspec.json.encode(
            {
                "days": [d.day.isoformat() for d in figures.days],
                "orders": [d.orders for d in figures.days],
                "charges": {
                    c: [plain(d.charges.get(c, Decimal(0))) for d in figures.days]
                    for c in figures.currencies
                },
            }
        )
        .decode()
        .replace("<", "\\u003c")
    )  # inside a <script> element: never a tag


class Overview(Controller):
    path = "/"

    @get()
    async def show(
        self, request: Raw, console: NamedDependency[ConsoleParts], now: NamedDependency[datetime]
    ) -> Template:
        figures = await console.overview.at(console.reads, now)
        statuses = [(s.value, figures.by_status.get(s.value, 0)) for s in OrderStatus]
        lags = [
            (
                p.name,
                figures.standing.positions.get(p.name, 0),
                figures.standing.lag(p.name),
                figures.standing.stopped.get(p.name, ""),
            )
            for p in PROJECTIONS
        ]
        return page(
            request,
            "overview.html",
            figures=figures,
            statuses=statuses,
            total=sum(n for _, n in statuses),
            lags=lags,
            chart=chart_data(figures),
        )
