"""Renders the registered resources as a tree: type token, name, parent and key non-secret properties."""

from __future__ import annotations

import json
from typing import Any

from verify.evaluate import Evaluation
from verify.mocks import Registration, is_resource_reference, is_secret_marker

SECRET = "[secret]"
_MAX_PROPERTIES = 6
_MAX_VALUE = 70


def number(value: float) -> str:
    """A number as written: protobuf's Struct carries every number as a float, so a whole one prints as an int."""
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else json.dumps(value)


def show(value: Any, full: bool = False) -> str:
    """A secret-free rendering of one property value: short (4 items, one line, 70 characters) unless `full`."""
    items = None if full else 4
    if is_secret_marker(value):
        return SECRET
    if is_resource_reference(value):
        return f"<ref {str(value.get('urn', '')).rsplit('::', 1)[-1]}>"
    if isinstance(value, dict):
        inner = ", ".join(f"{k}={show(v, full)}" for k, v in list(value.items())[:items])
        more = ", ..." if items is not None and len(value) > items else ""
        text = "{" + inner + more + "}"
    elif isinstance(value, list):
        inner = ", ".join(show(v, full) for v in value[:items])
        text = "[" + inner + (", ..." if items is not None and len(value) > items else "") + "]"
    elif isinstance(value, str):
        shown = value if full else value.splitlines()[0] + (" ..." if "\n" in value else "") if value else ""
        text = json.dumps(shown)
    elif isinstance(value, float):
        text = number(value)
    else:
        text = json.dumps(value)
    return text if full or len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."


def output_lines(key: str, value: Any) -> list[str]:
    """One stack output, never cut: a list of strings (the steps an operator runs) one item per line."""
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return [f"{key} ="] + [f"  - {item}" for item in value]
    return [f"{key} = {show(value, full=True)}"]


def describe(registration: Registration) -> str:
    parts = []
    for key, value in list(registration.inputs.items())[:_MAX_PROPERTIES]:
        if key.startswith("__"):
            continue
        parts.append(f"{key}={show(value)}")
    return " ".join(parts)


def render(evaluation: Evaluation) -> list[str]:
    by_urn = evaluation.by_urn()
    children: dict[str, list[Registration]] = {}
    for registration in evaluation.registrations:
        parent = registration.parent if registration.parent in by_urn else ""
        children.setdefault(parent, []).append(registration)
    lines: list[str] = []

    def walk(parent_urn: str, depth: int) -> None:
        for registration in sorted(children.get(parent_urn, []), key=lambda r: (r.type, r.name)):
            parent_name = by_urn[parent_urn].name if parent_urn else "(stack)"
            indent = "  " * depth
            lines.append(f"{indent}{registration.type}  {registration.name}  parent={parent_name}  "
                         f"{describe(registration)}".rstrip())
            walk(registration.urn, depth + 1)

    walk("", 0)
    return lines
