"""Example values a stack file still holds: the offline check warns (it does not fail) on each.

A checkout's stack file uses the names reserved for documentation, so it can be checked offline; a real
deploy must replace them. Reserved: the example.com, example.org and example.net domains (RFC 2606) as a
host, a zone or an email's domain, and the documentation address ranges (RFC 5737, RFC 3849) as an
address or network. Every top-level string or list of strings of the project config is looked at, so a
new host, email or address setting is covered without being listed here.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass

from components.secrets_registry import PROJECT

EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")
DOCUMENTATION_NETWORKS = tuple(ipaddress.ip_network(network) for network in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"))


@dataclass(frozen=True)
class ExampleValue:
    key: str  # full config key
    values: tuple[str, ...]  # the example values it holds
    kind: str  # "host", "email" or "address"

    def render(self, stack: str) -> str:
        what = {"host": "your own domain or host name", "email": "an address you read",
                "address": "your own addresses or networks"}[self.kind]
        held = ", ".join(self.values)
        reserved = ("documentation address ranges" if self.kind == "address"
                    else "a domain reserved for examples")
        return (f"warning: {self.key} holds {held} ({reserved}): set {what} in Pulumi.{stack}.yaml "
                "before `pulumi up`")


def _is_example_domain(host: str) -> bool:
    name = host.lower().rstrip(".")
    return any(name == domain or name.endswith("." + domain) for domain in EXAMPLE_DOMAINS)


def _is_documentation_address(text: str) -> bool:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return any(network.version == reserved.version and network.subnet_of(reserved)  # type: ignore[arg-type]
               for reserved in DOCUMENTATION_NETWORKS)


def classify(text: str) -> str | None:
    """"host", "email" or "address" when `text` is an example value of that kind, else None."""
    if _is_documentation_address(text):
        return "address"
    if "@" in text:
        return "email" if _is_example_domain(text.rsplit("@", 1)[1]) else None
    return "host" if _is_example_domain(text) else None


def _strings(raw: str) -> list[str]:
    """The config value as the CLI passes it: a plain string, or a JSON list of strings."""
    if raw.startswith("["):
        try:
            decoded = json.loads(raw)
        except ValueError:
            return [raw]
        return [item for item in decoded if isinstance(item, str)] if isinstance(decoded, list) else []
    return [raw]


def find(values: Mapping[str, str], secret_keys: frozenset[str] | set[str] = frozenset()) -> list[ExampleValue]:
    """Each project key (secrets aside) that holds an example value, in key order."""
    found = []
    for key in sorted(values):
        if not key.startswith(f"{PROJECT}:") or key in secret_keys:
            continue
        matches = [(text, kind) for text in _strings(values[key]) if (kind := classify(text))]
        if matches:
            found.append(ExampleValue(key, tuple(text for text, _ in matches), matches[0][1]))
    return found
