"""The leak detector: every canary found outside a secret marker is a leak."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from verify.canaries import Canary
from verify.evaluate import Evaluation
from verify.mocks import is_secret_marker


@dataclass(frozen=True)
class Leak:
    where: str  # e.g. "command:remote:Command bifrost-env-traefik input create"
    path: str  # the property path inside it
    canary: str  # the label of the leaked canary (never its value)

    def render(self) -> str:
        return f"{self.canary} in plaintext at {self.where} {self.path}".rstrip()


def _needles(canary: Canary) -> list[str]:
    needles = [canary.marker]
    if canary.marker == canary.value:
        needles.append(base64.b64encode(canary.value.encode()).decode())
    return needles


def _plain_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string reachable without passing through a secret marker (keys included)."""
    if is_secret_marker(value):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", str(key)
            yield from _plain_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _plain_strings(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def scan(value: Any, where: str, canaries: list[Canary], root: str = "") -> list[Leak]:
    needles = [(needle, canary.label) for canary in canaries for needle in _needles(canary)]
    leaks: list[Leak] = []
    for path, text in _plain_strings(value, root):
        for needle, label in needles:
            if needle in text:
                leaks.append(Leak(where, path, label))
    return leaks


def find_leaks(evaluation: Evaluation) -> list[Leak]:
    canaries = evaluation.canaries
    leaks: list[Leak] = []
    for registration in evaluation.registrations:
        where = f"{registration.type} {registration.name}"
        leaks += scan(registration.name, where, canaries, "name")
        leaks += scan(registration.inputs, where, canaries, "inputs")
        leaks += scan(registration.outputs, where, canaries, "outputs")
        leaks += scan(registration.options, where, canaries, "options")
    leaks += scan(evaluation.stack_outputs, "stack outputs", canaries)
    leaks += scan(evaluation.log_lines, "program log", canaries)
    if evaluation.error:
        leaks += scan(evaluation.error, "program error", canaries)
    return leaks
