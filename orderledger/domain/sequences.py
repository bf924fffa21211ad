"""Order and refill numbers: positive, unique, increasing, never reused."""

from __future__ import annotations

from typing import Protocol


class NumberSequence(Protocol):
    def next_number(self, name: str) -> int:
        """The next number of the named sequence ('order' or 'refill'); a refused command
        leaves a gap rather than handing the same number out twice."""
        ...
