"""Deterministic aggregate ids from natural keys: a repeated create fails, never duplicates."""

from __future__ import annotations

from uuid import UUID, uuid5

NAMESPACE = UUID("6f1c1f7e-0d7e-4c59-9a55-0b8f4b6f2a10")


def account_id(name: str) -> UUID:
    return uuid5(NAMESPACE, f"account:{name}")


def service_id(number: int) -> UUID:
    return uuid5(NAMESPACE, f"service:{number}")


def order_id(number: int) -> UUID:
    return uuid5(NAMESPACE, f"order:{number}")


def refill_id(number: int) -> UUID:
    return uuid5(NAMESPACE, f"refill:{number}")


def active_link_id(account: UUID, service_number: int, link: str) -> UUID:
    return uuid5(NAMESPACE, f"active-link:{account}:{service_number}:{link}")


def token_holder_id(role: str, name: str) -> UUID:
    return uuid5(NAMESPACE, f"token-holder:{role}:{name}")


def upstream_id(name: str) -> UUID:
    return uuid5(NAMESPACE, f"upstream:{name}")
