"""Structural checks the offline check runs on an evaluation, besides the leak detector.

Each check returns a list of problems (empty when fine). Components add their own here.
"""

from __future__ import annotations

from collections.abc import Callable

from verify.evaluate import Evaluation

Check = Callable[[Evaluation], list[str]]


def no_unexpected_crash(evaluation: Evaluation) -> list[str]:
    return [f"the program crashed: {evaluation.crash!r}"] if evaluation.crash else []


CHECKS: list[Check] = [no_unexpected_crash]


def run_all(evaluation: Evaluation) -> list[str]:
    problems: list[str] = []
    for check in CHECKS:
        problems += check(evaluation)
    return problems
