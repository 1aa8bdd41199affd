"""Compose-safe env files.

Compose reads `.env` and `env_file` values with its dotenv parser: unquoted and double-quoted values are
interpolated (`$VAR`), and single quotes cannot hold `'`. A double-quoted value with backslash, double
quote, dollar, newline and carriage return escaped reads back as exactly the original string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_KEY = re.compile(r"[A-Z_][A-Z0-9_]*")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "$": "\\$", "\n": "\\n", "\r": "\\r"}


def quote(value: str) -> str:
    return '"' + "".join(_ESCAPES.get(char, char) for char in value) + '"'


def render(pairs: Iterable[tuple[str, str]]) -> str:
    lines = []
    for key, value in pairs:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not an environment variable name: {key!r}")
        lines.append(f"{key}={quote(value)}\n")
    return "".join(lines)
