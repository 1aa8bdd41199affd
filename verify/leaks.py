"""The leak detector: every canary found outside a secret marker is a leak."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from verify import jsontext
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


def needles(canary: Canary) -> list[str]:
    """The marker, and the whole value base64-encoded (a Secret's `data`, a file shipped as base64): for a
    multi-line value the marker is one part of it, and the base64 of a part is not a part of the base64."""
    return [canary.marker, base64.b64encode(canary.value.encode()).decode()]


def _verbatim_in_json(needle: str) -> bool:
    """Whether JSON text writes this text unchanged wherever a string holds it: `json.dumps(...,
    ensure_ascii=False)` and orjson (`verify/jsontext.py`) escape exactly these characters."""
    return not any(char in '"\\' or ord(char) < 0x20 for char in needle)


@dataclass(frozen=True)
class Needles:
    """Every form of every canary that a leak must contain, built once for a whole evaluation.

    `candidates` is the prefilter: one C-level substring search per needle over the value's JSON text,
    which holds every string of the value verbatim (the markers' contents too, so a hit is only a
    candidate). The exact walk, which skips secret markers, runs only with the needles that survive it.
    """

    forms: tuple[tuple[str, str, bool], ...]  # (needle, canary label, verbatim in JSON text)

    @classmethod
    def of(cls, canaries: list[Canary]) -> Needles:
        pairs = dict.fromkeys((needle, canary.label) for canary in canaries for needle in needles(canary))
        return cls(tuple((needle, label, _verbatim_in_json(needle)) for needle, label in pairs))

    def candidates_in_bytes(self, data: bytes) -> Needles:
        """The prefilter over UTF-8 text that holds every string verbatim (a registration's wire bytes)."""
        return Needles(tuple(form for form in self.forms if form[0].encode() in data))

    def candidates(self, value: Any, text: str | None = None) -> Needles:
        """`text`: the value's JSON text when the caller has it already (any JSON that writes strings verbatim,
        `ensure_ascii=False`)."""
        if text is None:
            text = value if isinstance(value, str) else jsontext.dumps(value)
        return Needles(tuple(form for form in self.forms if not form[2] or form[0] in text))


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


def scan(value: Any, where: str, canaries: list[Canary] | Needles, root: str = "", text: str | None = None
         ) -> list[Leak]:
    needles = (canaries if isinstance(canaries, Needles) else Needles.of(canaries)).candidates(value, text)
    if not needles.forms:
        return []
    leaks: list[Leak] = []
    for path, string in _plain_strings(value, root):
        for needle, label, _ in needles.forms:
            if needle in string:
                leaks.append(Leak(where, path, label))
    return leaks


def find_leaks(evaluation: Evaluation) -> list[Leak]:
    needles = Needles.of(evaluation.canaries)
    leaks: list[Leak] = []
    for registration in evaluation.registrations:
        wire = registration.unconverted()
        if wire is not None and not needles.candidates_in_bytes(wire).forms:
            continue  # no form of any canary anywhere in it: nothing to convert
        parts = {"name": registration.name, "inputs": registration.inputs, "outputs": registration.outputs,
                 "options": registration.options}
        suspects = needles.candidates(list(parts.values()))  # one prefilter pass per resource
        if not suspects.forms:
            continue
        where = f"{registration.type} {registration.name}"
        for root, value in parts.items():
            leaks += scan(value, where, suspects, root)
    for token, arguments in evaluation.invokes:
        leaks += scan(arguments, f"invoke {token}", needles, "args")
    leaks += scan(evaluation.stack_outputs, "stack outputs", needles)
    leaks += scan(evaluation.log_lines, "program log", needles)
    if evaluation.error:
        leaks += scan(evaluation.error, "program error", needles)
    return leaks
