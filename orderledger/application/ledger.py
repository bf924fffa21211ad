"""The ledger application: every command of operators, the network and fulfilment."""

from __future__ import annotations

from orderledger.application.administration import Administration
from orderledger.application.forwards import Forwards
from orderledger.application.placing import Placing
from orderledger.application.upstreams import Upstreams


class Ledger(Administration, Placing, Forwards, Upstreams):
    """One event-sourced application; the mixins only group its commands by who gives them."""

    # Names the event tables (orderledger_events) and their NOTIFY channel; set here because
    # eventsourcing gives every subclass its own class name otherwise.
    name = "orderledger"
