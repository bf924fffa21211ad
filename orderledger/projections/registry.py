"""Every projection the runner keeps current, by name."""

from __future__ import annotations

from typing import Any

from orderledger.projections.account_balance import ACCOUNT_BALANCE
from orderledger.projections.base import Projection
from orderledger.projections.catalogue import CATALOGUE
from orderledger.projections.order_forwards import ORDER_FORWARDS
from orderledger.projections.order_links import ORDER_LINKS
from orderledger.projections.order_status import ORDER_STATUS
from orderledger.projections.refill_status import REFILL_STATUS
from orderledger.projections.work_queue import WORK_QUEUE

PROJECTIONS: tuple[Projection[Any], ...] = (
    ORDER_STATUS,
    REFILL_STATUS,
    ACCOUNT_BALANCE,
    CATALOGUE,
    WORK_QUEUE,
    ORDER_LINKS,
    ORDER_FORWARDS,
)
BY_NAME = {projection.name: projection for projection in PROJECTIONS}
