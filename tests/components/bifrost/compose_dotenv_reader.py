"""A reader that follows Compose's dotenv rules (compose-go's parser and its template substitution).

Written from Compose's documented behaviour and its parser's test expectations; the tests check it
against Compose's own fixtures before trusting it to judge the encoder.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_SPACE = "\t\v\f\r \x85\xa0"
_ESCAPE_SEQUENCE = re.compile(r'\\(?:[abcfnrtv$"\\]|0[0-7]{0,3})')
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
                   '"': '"', "\\": "\\"}
_TEMPLATE = re.compile(
    r"\$(?i:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)|\{(?:(?P<braced>[_a-z][_a-z0-9]*)"
    r"(?P<sep>:?[-+?])?(?P<rest>[^}]*))\}|(?P<invalid>))")

Lookup = Callable[[str], str | None]


class DotenvError(ValueError):
    pass


def _expand_escapes(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        sequence = match.group(0)
        if sequence == "\\$":
            return "$$"
        if sequence.startswith("\\0"):
            return chr(int(sequence[2:] or "0", 8))
        return _SIMPLE_ESCAPES[sequence[1]]

    return _ESCAPE_SEQUENCE.sub(replace, text)


def _substitute(text: str, env: dict[str, str], lookup: Lookup) -> str:
    def resolve(name: str) -> str | None:
        found = lookup(name)
        return found if found is not None else env.get(name)

    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("named") or match.group("braced")
        if name is None:
            raise DotenvError(f"invalid template in {text!r}")
        value = resolve(name)
        separator = match.group("sep") or ""
        rest = match.group("rest") or ""
        if separator in (":-", "-"):
            unset = value is None or (separator == ":-" and value == "")
            return _substitute(rest, env, lookup) if unset else str(value)
        if separator in (":+", "+"):
            present = value is not None and (separator == "+" or value != "")
            return _substitute(rest, env, lookup) if present else ""
        if separator in (":?", "?"):
            if value is None or (separator == ":?" and value == ""):
                raise DotenvError(rest or f"{name} is required")
            return value
        return value or ""

    return _TEMPLATE.sub(replace, text)


def parse(source: str, lookup: Lookup | None = None) -> dict[str, str]:
    lookup = lookup or (lambda _name: None)
    source = source.removeprefix("\ufeff")
    out: dict[str, str] = {}
    rest = source
    while True:
        rest = rest.lstrip()
        while rest.startswith("#"):
            newline = rest.find("\n")
            rest = "" if newline < 0 else rest[newline:].lstrip()
        if not rest:
            return out
        if re.match(r"export\s+", rest):
            rest = rest[len("export"):].lstrip(_SPACE)
        key_end = None
        inherited = False
        for index, char in enumerate(rest):
            if char in _SPACE:
                continue
            if char in "=:\n":
                key_end, inherited = index, char == "\n"
                break
            if char in "_.-[]" or char.isalnum():
                continue
            raise DotenvError(f"unexpected character {char!r} in variable name")
        if key_end is None:
            raise DotenvError("zero length string")
        key = rest[:key_end].rstrip()
        if " " in key:
            raise DotenvError("key cannot contain a space")
        rest = rest[key_end + 1:].lstrip(_SPACE)
        if inherited:
            value = lookup(key)
            if value is not None:
                out[key] = value
            continue
        value, rest = _value(rest, out, lookup)
        out[key] = value


def _value(src: str, env: dict[str, str], lookup: Lookup) -> tuple[str, str]:
    if not src or src[0] not in "'\"":
        line, _, remainder = src.partition("\n")
        line = line.split(" #", 1)[0].rstrip()
        return _substitute(line, env, lookup), remainder
    quote = src[0]
    chars: list[str] = []
    escaping = False
    for index in range(1, len(src)):
        char = src[index]
        if char != quote:
            if not escaping and char == "\\":
                escaping = True
                continue
            if escaping:
                escaping = False
                chars.append("\\")
            chars.append(char)
            continue
        if escaping:
            escaping = False
            chars.append(char)
            continue
        value = "".join(chars)
        if quote == '"':
            value = _substitute(_expand_escapes(value), env, lookup)
        return value, src[index + 1:]
    raise DotenvError("unterminated quoted value")
