"""A console session: who signed in, in which role, until when, and the session's CSRF token,
sealed into the cookie with an HMAC so that the browser can carry it but not change it.

The session keeps the hash of the token it was opened with, never the token: every request
looks that hash up again (`guards.py`), so a revoked token ends its sessions at their next
request, in every worker. Nothing about a session is kept on the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec

from orderledger.storage.credentials import Role

COOKIE = "orderledger_console"
PATH = "/console"
LIFETIME = timedelta(hours=12)  # a working day; then sign in again


class Sealed(msgspec.Struct, frozen=True):
    hash: str  # the token's SHA-256 (storage/credentials.token_hash)
    role: str
    csrf: str
    expires: int  # seconds since the epoch


@dataclass(frozen=True)
class Session:
    token_hash: str
    role: Role
    csrf: str
    expires: datetime


def opened(token_hash: str, role: Role, now: datetime) -> Session:
    return Session(token_hash, role, secrets.token_urlsafe(24), now + LIFETIME)


def signature(key: str, payload: bytes) -> str:
    digest = hmac.new(key.encode(), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def seal(session: Session, key: str) -> str:
    sealed = Sealed(
        session.token_hash, session.role.value, session.csrf, int(session.expires.timestamp())
    )
    payload = base64.urlsafe_b64encode(msgspec.json.encode(sealed)).decode().rstrip("=")
    return f"{payload}.{signature(key, payload.encode())}"


def unsealed(cookie: str, key: str, now: datetime) -> Session | None:
    """The session the cookie holds; None if it was not sealed with `key`, or has expired."""
    payload, _, signed = cookie.partition(".")
    if not signed or not hmac.compare_digest(signed, signature(key, payload.encode())):
        return None
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        sealed = msgspec.json.decode(raw, type=Sealed)
        role = Role(sealed.role)
    except (ValueError, msgspec.DecodeError):
        return None
    if role not in (Role.OPERATOR, Role.AUDITOR) or sealed.expires <= now.timestamp():
        return None
    expires = datetime.fromtimestamp(sealed.expires, now.tzinfo)
    return Session(sealed.hash, role, sealed.csrf, expires)
