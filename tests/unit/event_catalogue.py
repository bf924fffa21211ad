"""What a store relies on in each event class of the domain, as plain data.

A stored event names its class by topic and holds its fields by name, so a class may be
written differently (by name string or declared explicitly) only if this stays the same:
its topic, the topics of its ancestry as eventsourcing sees it, and its fields, their
defaults and their order. `python -m tests.unit.event_catalogue` prints it as JSON; the
frozen copy in event_topics.json was printed by the code before the classes were declared.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from eventsourcing.domain import Aggregate, CanInitAggregate
from eventsourcing.utils import get_topic

from orderledger.domain.snapshots import AGGREGATE_TYPES


def event_classes(aggregate: type[Aggregate]) -> dict[str, type[Any]]:
    """Every event class the aggregate class holds, by attribute name."""
    return {
        name: value
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, Aggregate.Event | Aggregate.Snapshot)
    }


def ancestry(event_class: type[Any]) -> list[str]:
    """The distinct topics of the class's MRO, in order: a declared class and the subclasses
    eventsourcing makes of it share one topic, so they count once."""
    topics: list[str] = []
    for cls in event_class.__mro__:
        topic = f"{cls.__module__}:{cls.__qualname__}"  # get_topic would register each
        if topic not in topics:
            topics.append(topic)
    return topics


def field_description(field: dataclasses.Field[Any]) -> dict[str, Any]:
    described: dict[str, Any] = {"name": field.name, "kw_only": bool(field.kw_only)}
    if field.default is not dataclasses.MISSING:
        described["default"] = repr(field.default)
    if field.default_factory is not dataclasses.MISSING:
        described["default_factory"] = repr(field.default_factory)
    return described


def describe(event_class: type[Any]) -> dict[str, Any]:
    return {
        "topic": get_topic(event_class),
        "creates": issubclass(event_class, CanInitAggregate),
        "ancestry": ancestry(event_class),
        "fields": [field_description(f) for f in dataclasses.fields(event_class)],
    }


def catalogue() -> dict[str, dict[str, Any]]:
    """Each event class of each aggregate, by `Aggregate.Name`."""
    return {
        f"{aggregate.__name__}.{name}": describe(cls)
        for aggregate in AGGREGATE_TYPES
        for name, cls in sorted(event_classes(aggregate).items())
    }


if __name__ == "__main__":
    print(json.dumps(catalogue(), indent=1))
