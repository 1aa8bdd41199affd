"""Plain values as the rules see them, and the one thing preview adds to them: unknowns.

During `pulumi preview` an input computed from another resource's output is unknown. The engine sends it
as a sentinel string; `pulumi_policy` raises `UnknownValueError` when a policy reads it. The adapter turns
each one into an `Unknown` here, so a rule can decide whether it needs the value (then it calls `known`,
which raises `UnknownValue` and the policy is deferred to `pulumi up`) or only its presence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

# The engine's wire sentinels for unknown values (pulumi_policy.proxy), by kind.
UNKNOWN_SENTINELS = {
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7": "boolean",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421": "number",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9": "string",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2": "array",
    "030794c1-ac77-496b-92df-f27374a8bd58": "asset",
    "e48ece36-62e2-4504-bad9-02848725956a": "archive",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff": "object",
}
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass(frozen=True)
class Unknown:
    """A value not known until the resources it depends on exist (preview only)."""

    sentinel: str = UNKNOWN_STRING

    def __repr__(self) -> str:
        return f"<unknown {UNKNOWN_SENTINELS.get(self.sentinel, 'value')}>"


class UnknownValue(Exception):
    """Raised by a rule that needs a value that is unknown during preview."""

    def __init__(self, path: Sequence[str], sentinel: str = UNKNOWN_STRING) -> None:
        self.path = list(path)
        self.sentinel = sentinel
        super().__init__(f"{'.'.join(self.path)} is not known until the resources it depends on exist")


def known(value: Any, *path: str) -> Any:
    """The value itself, or UnknownValue when it is only known after deployment."""
    if isinstance(value, Unknown):
        raise UnknownValue(path, value.sentinel)
    return value


def get(props: Any, *path: str) -> Any:
    """The value at a path of mapping keys, None where a key is absent; unknowns on the way raise."""
    value = props
    walked: list[str] = []
    for key in path:
        known(value, *walked)
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
        walked.append(key)
    return value


def is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(value, Mapping)


def is_list(value: Any) -> TypeGuard[Sequence[Any]]:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def from_wire(value: Any) -> Any:
    """Plain values from serialized engine properties: secret markers unwrapped, unknown sentinels marked."""
    if isinstance(value, Mapping):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return from_wire(value.get("value"))
        return {key: from_wire(item) for key, item in value.items()}
    if is_list(value):
        return [from_wire(item) for item in value]
    if isinstance(value, str) and value in UNKNOWN_SENTINELS:
        return Unknown(value)
    return value
