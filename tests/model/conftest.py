"""The model test's figures (sequences, steps, restarts per backend) in pytest's summary."""

from __future__ import annotations

import pytest

# Plain asserts in the machine show both sides when they fail, as in a test module.
pytest.register_assert_rewrite("tests.model.machine", "tests.model.checks", "tests.model.system")

from tests.model.machine import Tally  # noqa: E402

TALLIES: dict[str, Tally] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for backend, tally in TALLIES.items():
        terminalreporter.write_line(
            f"model test on {backend}: {tally.sequences} sequences, {tally.steps} steps, "
            f"{tally.restarts} restarts; aggregates with a snapshot: "
            + ", ".join(f"{count} {kind}" for kind, count in sorted(tally.snapshots.items()))
        )
        if terminalreporter.config.getoption("verbose") > 0:
            for outcome, count in sorted(tally.outcomes.items()):
                terminalreporter.write_line(f"    {count:5}  {outcome}")
