"""Progress lines that can never carry a secret: every line passes through a redactor of the known secrets."""

from __future__ import annotations

from collections.abc import Callable

REDACTED = "[redacted]"
_MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words; no secret here is that short


class Log:
    """Writes progress lines; any registered secret value in a line is replaced before it is written."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._secrets: set[str] = set()

    def secret(self, value: str) -> str:
        """Registers a value as secret (from now on it is never written) and returns it unchanged."""
        if len(value) >= _MIN_SECRET_LENGTH:
            self._secrets.add(value)
        return value

    def redact(self, text: str) -> str:
        for value in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(value, REDACTED)
        return text

    def __call__(self, line: str) -> None:
        self._write(self.redact(line))
