"""Random sequences of the network's, the bots', staff's and the operator's commands, with
restarts between them, checked after every step against a plain reference model.

Bounded for CI (ORDERLEDGER_MODEL_EXAMPLES runs more) and derandomized, so a failure in CI
happens again on any machine; hypothesis prints the shortest sequence it found.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from orderledger.application import ledger_base
from orderledger.storage.settings import Settings
from tests.model.conftest import TALLIES
from tests.model.machine import LedgerMachine, Tally, World
from tests.model.system import SNAPSHOT_EVERY

EXAMPLES = int(os.environ.get("ORDERLEDGER_MODEL_EXAMPLES", "15"))
STEPS = int(os.environ.get("ORDERLEDGER_MODEL_STEPS", "60"))
SHRINK = os.environ.get("ORDERLEDGER_MODEL_SHRINK", "1") != "0"  # 0: the failure as found
SHRINK = os.environ.get("ORDERLEDGER_MODEL_SHRINK", "1") != "0"  # 0: the first failure as found


def test_the_ledger_answers_as_the_model_across_restarts(
    settings: Settings, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every ledger of the run, the command line's import included, snapshots this often.
    monkeypatch.setattr(ledger_base, "SNAPSHOT_EVERY", SNAPSHOT_EVERY)
    tally = TALLIES.setdefault(backend, Tally())
    LedgerMachine.world = World(settings, tmp_path, monkeypatch, tally)
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings_for_ci(),
    )


def settings_for_ci() -> settings:
    return settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        derandomize=True,
        database=None,
        phases=list(Phase) if SHRINK else [Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
