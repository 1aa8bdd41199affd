"""Format rules for secret and setting values.

Each rule is a named predicate with a human description. The same rules check values supplied through
stack config and describe what the program generates, so a supplied key always has the shape its
consumer expects.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FormatRule:
    name: str
    description: str
    check: Callable[[str], bool]
    read_from_file: bool = False  # a multi-line value: the operator sets it from a file, not typed on the line

    def accepts(self, value: str) -> bool:
        return self.check(value)


def _base64_of(byte_count: int) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        try:
            decoded = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return False
        return len(decoded) == byte_count

    return check


def _pattern(regex: str) -> Callable[[str], bool]:
    compiled = re.compile(regex)
    return lambda value: compiled.fullmatch(value) is not None


def _openssh_private_key(value: str) -> bool:
    lines = value.strip().splitlines()
    return (
        len(lines) >= 3
        and lines[0] == "-----BEGIN OPENSSH " + "PRIVATE KEY-----"
        and lines[-1] == "-----END OPENSSH " + "PRIVATE KEY-----"
    )


def _kubeconfig(value: str) -> bool:
    import yaml

    try:
        document = yaml.load(value, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return False
    return (
        isinstance(document, dict)
        and isinstance(document.get("clusters"), list)
        and bool(document["clusters"])
        and isinstance(document.get("users"), list)
        and isinstance(document.get("contexts"), list)
    )


HEX_32 = FormatRule("hex-32", "exactly 32 hex characters (16 random bytes, `openssl rand -hex 16`)",
                    _pattern(r"[0-9a-fA-F]{32}"))
BASE64_32_BYTES = FormatRule("base64-32-bytes", "standard base64 of exactly 32 bytes (`openssl rand -base64 32`)",
                             _base64_of(32))
ALNUM_16_128 = FormatRule("alnum-16-128", "16 to 128 letters and digits (safe in connection strings)",
                          _pattern(r"[A-Za-z0-9]{16,128}"))
ALNUM_32_128 = FormatRule("alnum-32-128", "32 to 128 letters and digits", _pattern(r"[A-Za-z0-9]{32,128}"))
DJANGO_SECRET_KEY = FormatRule(
    "django-secret-key", "50 to 256 printable characters without spaces, quotes, `$` or backslash",
    _pattern(r"[A-Za-z0-9!#%&()*+,\-./:;<=>?@\[\]^_{|}~]{50,256}"))
API_TOKEN = FormatRule("api-token", "20 to 256 characters from A-Z a-z 0-9 `_` `-` `.`",
                       _pattern(r"[A-Za-z0-9_.\-]{20,256}"))
HCLOUD_TOKEN = FormatRule("hcloud-token", "64 letters and digits (a Hetzner Cloud API token)",
                          _pattern(r"[A-Za-z0-9]{64}"))
UUID = FormatRule("uuid", "a UUID such as 3f2b8c4e-1d2a-4b5c-9e8f-0a1b2c3d4e5f",
                  _pattern(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"))
BCRYPT_HASH = FormatRule("bcrypt-hash", "a bcrypt hash ($2a$/$2b$/$2y$, cost 10-14)",
                         _pattern(r"\$2[aby]\$1[0-4]\$[./A-Za-z0-9]{53}"))
OPENSSH_PRIVATE_KEY = FormatRule("openssh-private-key", "an OpenSSH private key (ed25519), PEM-armoured",
                                 _openssh_private_key, read_from_file=True)
KUBECONFIG = FormatRule("kubeconfig", "a kubeconfig YAML document with clusters, users and contexts",
                        _kubeconfig, read_from_file=True)
