"""How a server logs: one line per record on standard error, as text or as one JSON object
per line (`orderledger serve --log-format json`), at the level `--log-level` names.

The configuration is a `logging.config.dictConfig` dictionary handed to uvicorn, which applies
it in every worker process, so uvicorn's own records and orderledger's go the same way. The
access log is the logger `orderledger.access` (http/observability.py): one record per
answered request, whose arguments are its fields, so the JSON form names each of them.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO

import msgspec

ACCESS_LOGGER = "orderledger.access"
# The access record's message, and the names of its arguments in that order.
ACCESS_TEXT = '%s "%s %s" action=%s status=%d %.2fms %s=%s'
ACCESS_FIELDS = ("client", "method", "path", "action", "status", "duration_ms", "role", "name")
LEVELS = ("critical", "error", "warning", "info", "debug")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and the access record's
    fields by name (its `role` names the field that holds who asked: account, operator or
    auditor; absent when nobody known asked)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        if record.name == ACCESS_LOGGER and isinstance(record.args, tuple):
            fields: dict[str, Any] = dict(zip(ACCESS_FIELDS, record.args, strict=True))
            role, name = str(fields.pop("role")), fields.pop("name")
            fields["duration_ms"] = round(float(fields["duration_ms"]), 2)
            entry.update(fields)
            if name != "-":
                entry[role] = name
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(entry).decode()


class BatchedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Standard error, written once per turn of the event loop: the records made while the
    loop ran its ready callbacks (every answer of a busy moment) go out in one write, rather
    than a system call per line. A record made outside the loop's thread, or while no loop
    runs, is written at once, after any held back, so the order stays the order of records.
    What a crash can lose is what the loop made in the turn it died in."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream or sys.stderr)
        self.held: list[str] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        # No record here is formatted with its process id, which costs a system call each.
        logging.logProcesses = False

        self.second = -1  # the access lines' time, to the second, as last written
        self.stamp = ""
        self.direct = False  # whether `access` makes the lines its formatter would

    def setFormatter(self, fmt: logging.Formatter | None) -> None:
        super().setFormatter(fmt)
        self.direct = isinstance(fmt, JsonFormatter) or getattr(fmt, "_fmt", None) == TEXT_FORMAT

    def emit(self, record: logging.LogRecord) -> None:  # called holding the handler's lock
        try:
            self.put(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)

    def put(self, line: str) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            self.write([*self.held, line])
            self.held.clear()
            return
        self.held.append(line)
        if len(self.held) == 1:
            loop.call_soon(self.flush)

    def access(self, fields: tuple[Any, ...]) -> None:
        """An access record's line, straight from its fields (ACCESS_FIELDS), as its record
        would be formatted: the request's own bookkeeping, kept to a few microseconds."""
        now = time.time()
        second = int(now)
        json = isinstance(self.formatter, JsonFormatter)
        if second != self.second:
            moment = datetime.fromtimestamp(second, UTC if json else None)
            self.second = second
            self.stamp = moment.strftime("%Y-%m-%dT%H:%M:%S" if json else "%Y-%m-%d %H:%M:%S")
        millis = int((now - second) * 1000)
        if json:
            client, method, path, action, status, ms, role, name = fields
            entry = {
                "time": f"{self.stamp}.{millis:03d}+00:00",
                "level": "INFO",
                "logger": ACCESS_LOGGER,
                "client": client,
                "method": method,
                "path": path,
                "action": action,
                "status": status,
                "duration_ms": round(ms, 2),
            }
            if name != "-":
                entry[role] = name
            line = msgspec.json.encode(entry).decode()
        else:
            line = f"{self.stamp},{millis:03d} INFO {ACCESS_LOGGER}: {ACCESS_TEXT % fields}"
        with self.lock:  # type: ignore[union-attr]  # made in __init__
            self.put(line + self.terminator)

    def write(self, lines: list[str]) -> None:
        self.stream.write("".join(lines))
        self.stream.flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # made in __init__
            if self.held:
                lines, self.held = self.held, []
                self.write(lines)


def log_config(level: str = "info", form: str = "text") -> dict[str, Any]:
    """The dictConfig of every worker (and of `serve` itself)."""
    if level not in LEVELS or form not in FORMATS:
        raise ValueError(f"log level {level!r} / format {form!r}")
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if form == "json" else {"format": TEXT_FORMAT}
    )
    propagate = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"orderledger": formatter},
        "handlers": {
            "stderr": {"()": f"{__name__}.BatchedStreamHandler", "formatter": "orderledger"}
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        # The access log has the same handler, which writes its lines itself (`access`).
        # uvicorn's loggers have handlers of their own by default: here they pass their
        # records to the root's, in the same form. Its access log stays off (ours is richer).
        "loggers": {
            "uvicorn": {**propagate, "level": level.upper()},
            "uvicorn.error": {**propagate, "level": level.upper()},
            "uvicorn.access": {**propagate, "level": "WARNING"},
            ACCESS_LOGGER: {"handlers": ["stderr"], "propagate": False},
        },
    }
