"""Problems with the stack config, and the fix lines that go with them.

A problem names the full key (or catalog entry, `apps[3].keys`) and one command or edit that fixes it.
The value is quoted only for plain settings: a secret's value is never shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from components.config_commands import config_set, full_key


@dataclass(frozen=True)
class Problem:
    key: str
    message: str
    fix: str

    def render(self) -> str:
        return f"{self.key}: {self.message}\n    fix: {self.fix}"


class ConfigError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(render_problems(problems))


def render_problems(problems: list[Problem]) -> str:
    count = len(problems)
    header = f"the stack config has {count} problem{'s' if count != 1 else ''}:"
    return "\n".join([header, *(f"  - {p.render()}" for p in problems)])


def set_command(key: str, example: str) -> str:
    return config_set(key, example)


def path_command(path: str, value: str) -> str:
    """`pulumi config set --path`, for one entry of a list or mapping setting: `path` is e.g. `apps[3].name`."""
    return config_set(path, value, path=True)


def remove_command(key: str) -> str:
    return f"pulumi config rm {full_key(key)}"


def stack_file(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def quote_plain(value: str) -> str:
    """A plain (non-secret) value as shown in a message: JSON-quoted, so control characters stay visible."""
    shown = value if len(value) <= 80 else value[:77] + "..."
    return json.dumps(shown)
