"""Reading a catalogue file in the shape of the `services` answer."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from orderledger.domain.money import InvalidAmount, parse_amount, within_bound
from orderledger.domain.service import CATALOGUE_FIELDS, DEFAULT_REFILL_DAYS, Service
from orderledger.domain.service_types import SERVICE_TYPES, text_of, whole_number

# Providers' exports write the types their own way: "custom_comments", "comment-likes", "SEO".
TYPE_SEPARATORS = re.compile(r"[\s_-]+")


def type_key(name: str) -> str:
    return " ".join(TYPE_SEPARATORS.split(name.strip().lower())).strip()


TYPES_BY_KEY = {type_key(name): name for name in SERVICE_TYPES}


class CatalogueError(ValueError):
    """A catalogue file or entry that cannot be imported; the message says where."""


@dataclass(frozen=True)
class CatalogueEntry:
    number: int
    name: str
    type: str
    category: str
    rate: Decimal
    min: int
    max: int
    dripfeed: bool
    refill: bool
    cancel: bool
    description: str
    refill_days: int

    def fields(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "category": self.category,
            "rate": self.rate,
            "min": self.min,
            "max": self.max,
            "dripfeed": self.dripfeed,
            "refill": self.refill,
            "cancel": self.cancel,
            "description": self.description,
            "refill_days": self.refill_days,
        }


def flag(value: object, name: str, position: int) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1", "true", "false", None):
        return value in (1, "1", "true")
    raise CatalogueError(f"entry {position}: {name} must be a boolean, not {value!r}")


def service_type_of(raw: dict[str, object], position: int) -> str:
    written = str(raw.get("type") or "Default")
    canonical = TYPES_BY_KEY.get(type_key(written))
    if canonical is None:
        raise CatalogueError(f"entry {position}: unknown service type {written!r}")
    return canonical


def verbatim(value: object) -> str:
    """Text exactly as written (names are shown to the network as they are: a trailing
    no-break space is part of one), but for what a database cannot store."""
    if not isinstance(value, str):
        return text_of(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return ""
    return value.replace("\x00", "")  # PostgreSQL text cannot hold NUL


def read_entry(raw: object, position: int) -> CatalogueEntry:
    if not isinstance(raw, dict):
        raise CatalogueError(f"entry {position}: not an object")
    numbers = {}
    for name in ("service", "min", "max"):
        number = whole_number(raw.get(name))
        if number is None or number < (1 if name == "service" else 0):
            raise CatalogueError(f"entry {position}: {name} must be a whole number")
        numbers[name] = number
    if numbers["min"] > numbers["max"]:
        raise CatalogueError(f"entry {position}: min is above max")
    service_type = service_type_of(raw, position)
    try:
        rate = parse_amount(str(raw.get("rate")))
    except InvalidAmount as error:
        raise CatalogueError(f"entry {position}: {error}") from error
    if rate < 0:
        raise CatalogueError(f"entry {position}: rate is negative")
    try:  # more than five places are kept: a rate is per thousand units
        within_bound(rate, "rate")
    except InvalidAmount as error:
        raise CatalogueError(f"entry {position}: service {numbers['service']}: {error}") from error
    refill_days = whole_number(raw.get("refill_days", DEFAULT_REFILL_DAYS))
    if refill_days is None:
        raise CatalogueError(f"entry {position}: refill_days must be a whole number")
    return CatalogueEntry(
        number=numbers["service"],
        name=verbatim(raw.get("name")),
        type=service_type,
        category=verbatim(raw.get("category")),
        rate=rate,
        min=numbers["min"],
        max=numbers["max"],
        dripfeed=flag(raw.get("dripfeed", False), "dripfeed", position),
        refill=flag(raw.get("refill", False), "refill", position),
        cancel=flag(raw.get("cancel", False), "cancel", position),
        description=verbatim(raw.get("description", raw.get("desc"))),
        refill_days=refill_days,
    )


def read_catalogue(path: Path) -> list[CatalogueEntry]:
    """A JSON array of services, or an object with the array under `data`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueError(f"{path}: {error}") from error
    return parse_catalogue(text, str(path))


def parse_catalogue(text: str, source: str) -> list[CatalogueEntry]:
    """The catalogue in `text` (a file's, an upload's), `source` naming it in errors."""
    path = source
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise CatalogueError(f"{path}: {error}") from error
    if isinstance(document, dict):
        document = document.get("data")
    if not isinstance(document, list):
        raise CatalogueError(f"{path}: expected a JSON array of services (or one under 'data')")
    entries = [read_entry(raw, position) for position, raw in enumerate(document, start=1)]
    seen: set[int] = set()
    for entry in entries:
        if entry.number in seen:
            raise CatalogueError(f"{path}: service {entry.number} appears twice")
        seen.add(entry.number)
    return entries


@dataclass
class ImportPlan:
    """What importing a file would record, against the catalogue as it stands."""

    listed: int  # services in the catalogue now, enabled or not
    enabled_now: int
    added: list[CatalogueEntry] = field(default_factory=list)
    changed: list[tuple[CatalogueEntry, list[str]]] = field(default_factory=list)
    enabled: list[CatalogueEntry] = field(default_factory=list)
    disabled: list[Service] = field(default_factory=list)
    to_sync: list[CatalogueEntry] = field(default_factory=list)  # in the file's order

    def disables_most(self) -> bool:
        """More than half of the services enabled now would go: an empty or truncated file,
        most likely, rather than a provider retiring most of its catalogue."""
        return 2 * len(self.disabled) > self.enabled_now > 0


def changed_fields(entry: CatalogueEntry, service: Service) -> list[str]:
    wanted, current = entry.fields(), service.entry()
    return [name for name in CATALOGUE_FIELDS if current.get(name) != wanted[name]]


def plan_import(entries: list[CatalogueEntry], current: Mapping[int, Service]) -> ImportPlan:
    plan = ImportPlan(listed=len(current), enabled_now=sum(s.enabled for s in current.values()))
    for entry in entries:
        service = current.get(entry.number)
        if service is None:
            plan.added.append(entry)
            plan.to_sync.append(entry)
            continue
        changes = changed_fields(entry, service)
        if changes:
            plan.changed.append((entry, changes))
        if not service.enabled:
            plan.enabled.append(entry)
        if changes or not service.enabled:
            plan.to_sync.append(entry)
    in_file = {entry.number for entry in entries}
    plan.disabled = [
        service
        for number, service in sorted(current.items())
        if service.enabled and number not in in_file
    ]
    return plan
