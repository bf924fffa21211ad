"""How a setting is read from the environment: declared once, validated at start.

A setting is one field of `Settings` (storage/settings.py), declared with `setting(...)`: the
variable's name, the parser that turns its text into the field's value, the default (as an
operator would write it: it goes through the same parser) and one line of help. Reading the
environment (`Settings.from_env`) reads every declared field, so a new setting is validated,
documented in `orderledger --help` and checked against the README by the tests for free.

A parser raises ValueError saying what it accepts; the whole message is then one line naming
the variable, the value as given and that: `ORDERLEDGER_COMMAND_THREADS='abc': expected a whole
number from 1 to 1024`. `serve` and every command print it and exit 1 before doing anything.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class SettingsError(ValueError):
    """A setting that cannot be used, in one line."""


def shown_as_given(text: str) -> str:
    return repr(text)


def not_shown(text: str) -> str:
    """For a secret (a token): the message names the variable, never the value."""
    return "(value not shown)"


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable, ORDERLEDGER_...
    parse: Callable[[str], Any]  # its text, stripped, to the value; ValueError says what it takes
    default: str  # what an unset or empty variable means, as it would be written
    help: str
    show: Callable[[str], str] = shown_as_given  # how a refused value is quoted

    def read(self, environ: Mapping[str, str]) -> Any:
        given = environ.get(self.name, "")
        text = given.strip() or self.default
        try:
            return self.parse(text)
        except ValueError as error:
            raise SettingsError(f"{self.name}={self.show(given)}: {error}") from None

    def describe(self) -> str:
        default = f" (default: {self.default})" if self.default else ""
        return f"  {self.name}\n      {self.help}{default}"


def setting(
    name: str,
    parse: Callable[[str], T],
    default: str,
    help: str,
    show: Callable[[str], str] = shown_as_given,
    shown_in_repr: bool = True,
) -> T:
    """A field of `Settings` read from the variable `name` (see the module's docstring). The
    field's default, for a `Settings` made in code, is `parse(default)`; a secret is left out
    of the settings' repr (`shown_in_repr=False`) as well as out of messages (`show`)."""
    declared = Setting(name, parse, default, help, show)
    field: T = dataclasses.field(
        default_factory=lambda: parse(default),
        metadata={"setting": declared},
        repr=shown_in_repr,
    )
    return field


def declared(cls: type[Any]) -> Iterator[tuple[str, Setting]]:
    """Each field of the dataclass `cls` that is a setting, with its declaration."""
    for field in dataclasses.fields(cls):
        if "setting" in field.metadata:
            yield field.name, field.metadata["setting"]


def read_declared(cls: type[T], environ: Mapping[str, str] | None = None) -> T:
    """An instance of the dataclass `cls` with every setting read from the environment;
    SettingsError, in one line, on the first that is refused."""
    env = os.environ if environ is None else environ
    values = {name: declared_setting.read(env) for name, declared_setting in declared(cls)}
    return cls(**values)


# --- parsers: each raises ValueError("expected ...") naming what it accepts ---

TRUE = ("true", "1", "yes", "y", "on")
FALSE = ("false", "0", "no", "n", "off")


def boolean(text: str) -> bool:
    word = text.lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError("expected true or false (or 1/0, yes/no, y/n, on/off)")


def whole_number(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not re.fullmatch(r"[0-9]+", text) or not low <= int(text) <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return int(text)

    return parse


def one_of(*choices: str) -> Callable[[str], str]:
    """A word from `choices`, in any case (given as the value)."""

    def parse(text: str) -> str:
        if text.lower() not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return text.lower()

    return parse


def directory(text: str) -> Path:
    """A folder, made absolute here from the current folder (so a message can name it and a
    later change of folder changes nothing); it need not exist yet, but must not be a file."""
    path = Path(text).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise ValueError(f"expected a directory, and {path} is not one")
    return path


def addresses(text: str) -> str:
    """Comma-separated IP addresses or networks, or `*` for any; empty for none. Given back
    as written (uvicorn reads the same form), once each part is known to be one."""
    if not text:
        return text
    for part in (p.strip() for p in text.split(",")):
        if part == "*":
            continue
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise ValueError(
                f"expected IP addresses or networks separated by commas, or *; {part!r} is neither"
            ) from None
    return text


CONSOLE_SECRET_MIN = 32


def console_secret(text: str) -> str:
    """A signing key given as text: empty (the store keeps one), or long enough to guess at
    no better than a generated one."""
    if text and len(text) < CONSOLE_SECRET_MIN:
        raise ValueError(f"expected at least {CONSOLE_SECRET_MIN} characters (or unset)")
    return text
