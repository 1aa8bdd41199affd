"""The check sets its evaluation aside from the collector while it reads it, and gives it back afterwards."""

from __future__ import annotations

import gc

import pytest

import verify.__main__ as check_main
from verify.evaluate import Evaluation, long_lived
from verify.stackconfig import StackConfig


def test_what_is_alive_is_frozen_inside_and_given_back_after() -> None:
    before = gc.get_freeze_count()
    kept = [object() for _ in range(10)]
    with long_lived():
        assert gc.get_freeze_count() >= before + len(kept)
    assert gc.get_freeze_count() == before
    with pytest.raises(RuntimeError), long_lived():
        raise RuntimeError("a check that fails midway")
    assert gc.get_freeze_count() == before  # a caller that goes on running (a test worker) loses no garbage


def test_run_check_reports_inside_it_and_leaves_nothing_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    evaluation = Evaluation(registrations=[], stack_outputs={}, log_lines=[], canaries=[])
    frozen_while_reporting: list[int] = []

    def report(config: StackConfig, stack: str, seen: Evaluation, started: float) -> int:
        assert seen is evaluation
        frozen_while_reporting.append(gc.get_freeze_count())
        raise RuntimeError("stop here")

    before = gc.get_freeze_count()
    monkeypatch.setattr(check_main, "evaluate", lambda *args, **kwargs: evaluation)
    monkeypatch.setattr(check_main, "_report", report)
    with pytest.raises(RuntimeError, match="stop here"):
        check_main.run_check(StackConfig({}, set(), []), "test")
    assert frozen_while_reporting and frozen_while_reporting[0] > 0
    assert gc.get_freeze_count() == before
