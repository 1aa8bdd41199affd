"""Unique, format-valid canary values: one per secret, so any copy of it outside a secret is found."""

from __future__ import annotations

import base64
import hashlib
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from components import formats
from components.formats import FormatRule
from components.secrets_registry import SecretSpec
from verify import cache_files

_ARMOUR_KIND = "OPENSSH " + "PRIVATE KEY"


@dataclass(frozen=True)
class Canary:
    label: str  # where the value comes from: a config key or a generated resource output
    value: str  # the full value the program receives
    marker: str  # a unique part of the value that any leak of it must contain


def digest(label: str) -> bytes:
    return hashlib.sha256(f"canary:{label}".encode()).digest()


def alnum(label: str, length: int, prefix: str = "Canary") -> str:
    body = prefix
    counter = 0
    while len(body) < length:
        body += hashlib.sha256(f"canary:{label}:{counter}".encode()).hexdigest()
        counter += 1
    return body[:length]


def _ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _derive_ed25519_public_key(seed: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def ed25519_public_key(seed: bytes) -> bytes:
    """The public half of an ed25519 seed, remembered in the check cache (`canary-keys/`) under the seed's
    digest: a canary key's halves are fake and derived from its label, and importing `cryptography` to derive it
    was a tenth of a warm check. An entry carries a checksum of seed and key; one that fails it is derived again."""
    path = cache_files.CHECK_CACHE / "canary-keys" / hashlib.sha256(seed).hexdigest()
    try:
        stored = path.read_bytes()
    except OSError:
        stored = b""
    if len(stored) == 40 and hashlib.sha256(seed + stored[:32]).digest()[:8] == stored[32:]:
        return stored[:32]
    public = _derive_ed25519_public_key(seed)
    cache_files.write_whole(path, public + hashlib.sha256(seed + public).digest()[:8])  # else derived again
    return public


def openssh_private_key(label: str) -> Canary:
    """A real ed25519 key in OpenSSH's format (PROTOCOL.key of OpenSSH), derived from the label alone, so
    that code which parses the key (the public half, sshd) works on it. The marker is the base64 line
    that carries the private seed: any copy of the key holds it."""
    seed = digest(label)
    public = ed25519_public_key(seed)
    key_type = b"ssh-ed25519"
    public_blob = _ssh_string(key_type) + _ssh_string(public)
    check = digest(label + "#check")[:4]
    private = (check + check + _ssh_string(key_type) + _ssh_string(public) + _ssh_string(seed + public)
               + _ssh_string(("canarykey" + alnum(label, 40, prefix="")).encode()))
    private += bytes(range(1, 8 - len(private) % 8 + 1)) if len(private) % 8 else b""
    blob = (b"openssh-key-v1\0" + _ssh_string(b"none") + _ssh_string(b"none") + _ssh_string(b"")
            + struct.pack(">I", 1) + _ssh_string(public_blob) + _ssh_string(private))
    text = base64.b64encode(blob).decode()
    lines = [text[i:i + 70] for i in range(0, len(text), 70)]
    value = f"-----BEGIN {_ARMOUR_KIND}-----\n" + "\n".join(lines) + f"\n-----END {_ARMOUR_KIND}-----\n"
    return Canary(label, value, lines[3])


def base64_bytes(label: str, length: int) -> Canary:
    data = (digest(label) * 4)[:length]
    value = base64.b64encode(data).decode()
    return Canary(label, value, value)


def hex_bytes(label: str, length: int) -> Canary:
    value = (digest(label) * 4)[:length].hex()
    return Canary(label, value, value)


def bcrypt_hash(label: str) -> Canary:
    value = "$2b$12$" + alnum(label, 53)
    return Canary(label, value, value)


def kubeconfig(label: str) -> Canary:
    token = "canary-token-" + alnum(label, 40, prefix="")
    value = (
        "apiVersion: v1\nkind: Config\n"
        "clusters:\n- name: homelab\n  cluster:\n    server: https://k8s.example.com:6443\n"
        "users:\n- name: admin\n  user:\n    token: " + token + "\n"
        "contexts:\n- name: homelab\n  context:\n    cluster: homelab\n    user: admin\n"
        "current-context: homelab\n"
    )
    return Canary(label, value, token)


def _uuid(label: str) -> Canary:
    value = str(uuid.UUID(bytes=digest(label)[:16]))
    return Canary(label, value, value)


def _plain(make: Callable[[str], str]) -> Callable[[str], Canary]:
    def canary(label: str) -> Canary:
        value = make(label)
        return Canary(label, value, value)

    return canary


# One maker per format rule: a canary has the shape its rule accepts, so validation lets it through to every
# consumer. A rule with no maker here fails loudly (`for_spec`), never with a canary of some other shape.
MAKERS: dict[FormatRule, Callable[[str], Canary]] = {
    formats.HEX_32: lambda label: hex_bytes(label, 16),
    formats.BASE64_32_BYTES: lambda label: base64_bytes(label, 32),
    formats.UUID: _uuid,
    formats.BCRYPT_HASH: bcrypt_hash,
    formats.OPENSSH_PRIVATE_KEY: openssh_private_key,
    formats.KUBECONFIG: kubeconfig,
    formats.HCLOUD_TOKEN: _plain(lambda label: alnum(label, 64)),
    formats.DJANGO_SECRET_KEY: _plain(lambda label: alnum(label, 64)),
    formats.API_TOKEN: _plain(lambda label: "canary-" + alnum(label, 40, prefix="")),
    formats.ALNUM_16_128: _plain(lambda label: alnum(label, 40)),
    formats.ALNUM_32_128: _plain(lambda label: alnum(label, 40)),
}


def for_spec(spec: SecretSpec) -> Canary:
    """The canary an operator-supplied value of this secret is replaced with: it passes the format rule."""
    label = spec.config_key
    rule = spec.format
    make = MAKERS.get(rule)
    if make is None:
        raise AssertionError(f"no canary maker for format rule {rule.name} (secret {label}): add one to "
                             "verify/canaries.py MAKERS")
    canary = make(label)
    if not rule.accepts(canary.value):
        raise AssertionError(f"canary for {label} breaks its own format rule {rule.name}")
    return canary
