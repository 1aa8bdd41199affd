"""Typed reads of raw config that record a problem (and fall back to the schema default) for each bad value.

Every read goes through `Reader._take`. Each value has one reader (values two areas use are read once, in
`shared.py`); a second read of a key is recorded in `rereads`, which the tests keep empty.
"""

from __future__ import annotations

import json

from components.config import fields, schema
from components.config.problems import Problem, path_command, quote_plain, remove_command, set_command, stack_file
from components.config.raw import RawConfig
from components.config_commands import full_key
from components.secrets_registry import BY_KEY

# YAML 1.2, as the Pulumi CLI reads stack files (see verify/stackconfig.py), types only these as booleans:
# `yes`, `no`, `on` and `off` arrive as the strings they are.
TRUE, FALSE = "true", "false"
YAML11_BOOLEANS = frozenset({"yes", "no", "on", "off", "y", "n"})


class Reader:
    def __init__(self, raw: RawConfig, stack: str) -> None:
        self.raw = raw
        self.stack = stack
        self.problems: list[Problem] = []
        self._taken: set[str] = set()
        self.rereads: list[str] = []
        self.present: set[str] = set()  # keys read with a non-empty value
        self.misplaced: set[str] = set()  # keys already reported as set under a wrong name or namespace

    @property
    def stack_file(self) -> str:
        return stack_file(self.stack)

    def problem(self, key: str, message: str, fix: str) -> None:
        self.problems.append(Problem(full_key(key), message, fix))

    def missing(self, key: str, fix: str, what: str = "") -> None:
        """A required key that is not set; said once: not again when it was found under a wrong namespace."""
        if key not in self.misplaced:
            self.problem(key, f"is required and not set{f' ({what})' if what else ''}", fix)

    def reported(self, key: str) -> bool:
        return any(p.key == full_key(key) for p in self.problems)

    def _take(self, key: str) -> str | None:
        if key in self._taken:
            self.rereads.append(key)
        self._taken.add(key)
        value = self.raw.get(key)
        if value is not None and key not in BY_KEY and self.raw.is_secret(key):
            # A plain setting stored with --secret: the operator meant to hide it, but a plain setting's value is
            # shown in its errors and sent as a plain input. It is not read, so nothing shows it.
            self.misplaced.add(key)  # not also "required and not set"
            self.problem(key, "is stored encrypted, but it is a plain setting: its value would be shown and sent "
                              "in plain text",
                         f"{remove_command(key)}, then set it again without --secret (in {self.stack_file}, as a "
                         "plain value)")
            return None
        if value:
            self.present.add(key)
        return value

    def raw_text(self, key: str) -> str:
        """The value as set, empty when unset: for a key whose checks live with its reader."""
        return self._take(key) or ""

    def text(self, key: str, example: str, required: bool | None = None) -> str:
        """A string; `required` overrides the schema (a value that only one enabled area needs)."""
        value = self._take(key)
        if value is None or value == "":
            if schema.BY_KEY[key].required if required is None else required:
                self.missing(key, set_command(key, example))
            return schema.text_default(key)
        return value

    def boolean(self, key: str) -> bool:
        value = self._take(key)
        if value is None or value == "":
            return schema.bool_default(key)
        if value.lower() in (TRUE, FALSE):
            return value.lower() == TRUE
        hint = ""
        if value.lower() in YAML11_BOOLEANS:
            hint = (f" (the Pulumi CLI reads YAML 1.2, where {value} is a string, not a boolean: write "
                    f"{TRUE} or {FALSE})")
        self.problem(key, f"must be {TRUE} or {FALSE}, not {quote_plain(value)}{hint}", set_command(key, TRUE))
        return schema.bool_default(key)

    def integer(self, key: str, minimum: int = 0, maximum: int = 1_000_000) -> int:
        value = self._take(key)
        default = schema.int_default(key)
        if value is None or value == "":
            return default
        try:
            number: int | None = int(value)
        except ValueError:
            number = None
        if number is None or not minimum <= number <= maximum:
            self.problem(key, f"must be a whole number from {minimum} to {maximum}, not {quote_plain(value)}",
                         set_command(key, str(default)))
            return default
        return number

    def string_list(self, key: str, example: str, required: bool = True, non_empty: bool = False) -> tuple[str, ...]:
        """A list of strings (the CLI passes a YAML list as JSON). `example` is one entry's value."""
        value = self._take(key)
        first = path_command(f"{key}[0]", example)
        if value is None or value == "":
            if required:
                self.missing(key, first)
            return ()
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, list) or not all(isinstance(i, str) for i in parsed):
            self.problem(key, "must be a list of strings", first)
            return ()
        if non_empty and not parsed:
            self.problem(key, "is an empty list: at least one entry is needed", first)
        return tuple(parsed)

    def domain(self, key: str, example: str, required: bool | None = None) -> str:
        value = self.text(key, example, required)
        if value and not fields.is_domain_name(value):
            self.problem(key, f"is not a valid DNS host name ({quote_plain(value)}): labels of a-z, 0-9 and -, "
                         "none empty, and not an IP address", set_command(key, example))
        return value

    def email(self, key: str, example: str, required: bool | None = None) -> str:
        value = self.text(key, example, required)
        if value and not fields.is_email(value):
            self.problem(key, f"is not a valid email address ({quote_plain(value)})", set_command(key, example))
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.text(key, choices[0])
        if value not in choices:
            self.problem(key, f"must be one of {', '.join(choices)}, not {quote_plain(value)}",
                         set_command(key, choices[0]))
        return value
