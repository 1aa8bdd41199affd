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


def _frozen_while_reporting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    evaluation = Evaluation(registrations=[], stack_outputs={}, log_lines=[], canaries=[])
    seen: list[int] = []

    def report(config: StackConfig, stack: str, reported: Evaluation, started: float) -> int:
        assert reported is evaluation
        seen.append(gc.get_freeze_count())
        raise RuntimeError("stop here")

    monkeypatch.setattr(check_main, "evaluate", lambda *args, **kwargs: evaluation)
    monkeypatch.setattr(check_main, "_report", report)
    return seen


def test_the_command_freezes_while_it_reports_and_leaves_nothing_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    before = gc.get_freeze_count()
    seen = _frozen_while_reporting(monkeypatch)
    with pytest.raises(RuntimeError, match="stop here"):
        check_main.main(["check", "--stack", "prod"])  # `python -m verify check`: the process ends after it
    assert seen and seen[0] > before
    assert gc.get_freeze_count() == before


def test_a_check_run_by_a_process_that_goes_on_freezes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test, or anything else that runs check after check: frozen garbage would wait for a full pass."""
    before = gc.get_freeze_count()
    seen = _frozen_while_reporting(monkeypatch)
    with pytest.raises(RuntimeError, match="stop here"):
        check_main.run_check(StackConfig({}, set(), []), "test")
    assert seen == [before]
