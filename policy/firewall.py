"""The Hetzner firewall allow list: its config format, its default, and what a rule opens.

An allow-list entry is `{"protocol": "tcp"|"udp"|"icmp"|"gre"|"esp", "port": "80" | "60000-61000" |
"any", "sourceIps": ["198.51.100.0/24", ...], "description": "..."}`. `port` is required for tcp and
udp and not allowed for the others; without `sourceIps` the entry allows any source.

An inbound firewall rule (`direction` other than "out") passes when, for each of its `sourceIps`, every
port it opens is covered by the entries of its protocol whose sources contain that source network. A
tcp/udp rule without a port, or with port "any", opens 1-65535. A rule with no `sourceIps` opens
nothing. Outbound rules are out of scope.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policy.values import is_list, is_mapping, known

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

PORT_PROTOCOLS = ("tcp", "udp")
PORTLESS_PROTOCOLS = ("icmp", "gre", "esp")
ALL_PORTS = (1, 65535)

DEFAULT_ALLOWED_INGRESS: list[dict[str, Any]] = [
    {"protocol": "tcp", "port": "80", "description": "HTTP to Traefik (ACME HTTP challenge, redirect)"},
    {"protocol": "tcp", "port": "443", "description": "HTTPS to Traefik"},
    {"protocol": "udp", "port": "3478", "description": "STUN for NetBird"},
    {"protocol": "tcp", "port": "22", "description": "SSH, from the stack's sshSourceRanges"},
]

CONFIG_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Inbound traffic the Hetzner firewall may allow. Each entry: protocol, port (tcp/udp: "
                   "'80', '60000-61000' or 'any'), optional sourceIps (CIDRs; omitted = any source).",
    "items": {
        "type": "object",
        "properties": {
            "protocol": {"type": "string", "enum": [*PORT_PROTOCOLS, *PORTLESS_PROTOCOLS]},
            "port": {"type": "string", "pattern": r"^(any|[0-9]{1,5}(-[0-9]{1,5})?)$"},
            "sourceIps": {"type": "array", "items": {"type": "string"}},
            "description": {"type": "string"},
        },
        "required": ["protocol"],
        "additionalProperties": False,
    },
    "default": DEFAULT_ALLOWED_INGRESS,
}


@dataclass(frozen=True)
class AllowedIngress:
    protocol: str
    ports: tuple[int, int] | None  # None for protocols without ports
    sources: tuple[Network, ...] | None  # None: any source
    description: str = ""

    def label(self) -> str:
        ports = "" if self.ports is None else " " + _ports_text(self.ports)
        sources = "" if self.sources is None else " from " + ", ".join(str(s) for s in self.sources)
        return f"{self.protocol}{ports}{sources}"


def _ports_text(ports: tuple[int, int]) -> str:
    if ports == ALL_PORTS:
        return "any port"
    return str(ports[0]) if ports[0] == ports[1] else f"{ports[0]}-{ports[1]}"


def parse_ports(value: Any) -> tuple[int, int]:
    """A port, a range 'a-b' or 'any' (int or float from JSON config accepted) as an inclusive range."""
    if isinstance(value, bool):
        raise ValueError(f"port {value!r} is not a port")
    if isinstance(value, int | float) and float(value).is_integer():
        value = str(int(value))
    if not isinstance(value, str):
        raise ValueError(f"port {value!r} is not a port")
    text = value.strip()
    if text == "any":
        return ALL_PORTS
    low, _dash, high = text.partition("-")
    if not low.isdigit() or (_dash and not high.isdigit()):
        raise ValueError(f"port {value!r} is not a port, a range 'a-b' or 'any'")
    first, last = int(low), int(high) if _dash else int(low)
    if not 1 <= first <= last <= 65535:
        raise ValueError(f"port {value!r} is outside 1-65535 or reversed")
    return first, last


def parse_network(value: Any) -> Network:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a CIDR network")
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not a CIDR network") from None


def parse_allowed_ingress(raw: Any) -> tuple[AllowedIngress, ...]:
    """The allow list from policy config; ValueError naming every bad entry."""
    if not is_list(raw):
        raise ValueError("allowedIngress must be a list of entries")
    entries: list[AllowedIngress] = []
    problems: list[str] = []
    for index, item in enumerate(raw):
        try:
            entries.append(_parse_entry(item))
        except ValueError as error:
            problems.append(f"allowedIngress[{index}]: {error}")
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(entries)


def _parse_entry(item: Any) -> AllowedIngress:
    if not is_mapping(item):
        raise ValueError("must be an object with protocol, port, sourceIps")
    unknown_keys = sorted(set(item) - {"protocol", "port", "sourceIps", "description"})
    if unknown_keys:
        raise ValueError(f"unknown keys {unknown_keys}")
    protocol = str(item.get("protocol", "")).lower()
    if protocol in PORT_PROTOCOLS:
        if "port" not in item:
            raise ValueError(f"{protocol} needs a port ('80', '60000-61000' or 'any')")
        ports: tuple[int, int] | None = parse_ports(item["port"])
    elif protocol in PORTLESS_PROTOCOLS:
        if item.get("port") not in (None, ""):
            raise ValueError(f"{protocol} has no ports")
        ports = None
    else:
        raise ValueError(f"protocol {item.get('protocol')!r} is not one of tcp, udp, icmp, gre, esp")
    sources: tuple[Network, ...] | None = None
    if item.get("sourceIps") is not None:
        if not is_list(item["sourceIps"]):
            raise ValueError("sourceIps must be a list of CIDR networks")
        sources = tuple(parse_network(source) for source in item["sourceIps"])
    return AllowedIngress(protocol, ports, sources, str(item.get("description", "")))


def _contains(outer: Network, inner: Network) -> bool:
    return outer.version == inner.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def _uncovered(wanted: tuple[int, int], ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of the wanted port range that no range covers."""
    gaps: list[tuple[int, int]] = []
    position = wanted[0]
    for low, high in sorted(ranges):
        if high < position:
            continue
        if low > wanted[1]:
            break
        if low > position:
            gaps.append((position, low - 1))
        position = max(position, high + 1)
        if position > wanted[1]:
            break
    if position <= wanted[1]:
        gaps.append((position, wanted[1]))
    return gaps


def check_rules(rules: Any, allowed: Sequence[AllowedIngress]) -> list[str]:
    """Violations of the allow list by a firewall's `rules` input."""
    rules = known(rules, "rules")
    if rules is None:
        return []
    if not is_list(rules):
        return [f"rules is not a list ({rules!r})"]
    allowed_text = "; ".join(entry.label() for entry in allowed) or "nothing"
    messages: list[str] = []
    for index, raw_rule in enumerate(rules):
        where = f"rules[{index}]"
        rule = known(raw_rule, where)
        if not is_mapping(rule):
            messages.append(f"{where} is not an object")
            continue
        messages.extend(f"{where}: {problem} (allowed inbound: {allowed_text})"
                        for problem in _check_rule(rule, where, allowed))
    return messages


def _check_rule(rule: Mapping[str, Any], where: str, allowed: Sequence[AllowedIngress]) -> list[str]:
    direction = known(rule.get("direction"), where, "direction")
    if isinstance(direction, str) and direction.lower() == "out":
        return []
    protocol = str(known(rule.get("protocol"), where, "protocol") or "").lower()
    raw_sources = known(rule.get("sourceIps"), where, "sourceIps") or []
    if not is_list(raw_sources):
        return [f"sourceIps is not a list ({raw_sources!r})"]
    sources: list[Network] = []
    for position, raw in enumerate(raw_sources):
        try:
            sources.append(parse_network(known(raw, where, "sourceIps", str(position))))
        except ValueError as error:
            return [f"sourceIps: {error}"]
    if protocol in PORT_PROTOCOLS:
        raw_port = known(rule.get("port"), where, "port")
        try:
            wanted: tuple[int, int] | None = ALL_PORTS if raw_port in (None, "") else parse_ports(raw_port)
        except ValueError as error:
            return [str(error)]
    else:
        wanted = None
    # What each source may not reach, grouped so that one message names every source with the same gap.
    gaps_by_source: dict[str, list[str]] = {}
    for source in sources:
        candidates = [entry for entry in allowed if entry.protocol == protocol and
                      (entry.sources is None or any(_contains(net, source) for net in entry.sources))]
        if wanted is None:
            if not candidates:
                gaps_by_source.setdefault(protocol or "(no protocol)", []).append(str(source))
            continue
        gaps = _uncovered(wanted, (entry.ports for entry in candidates if entry.ports is not None))
        if gaps:
            what = f"{protocol} " + ", ".join(_ports_text(gap) for gap in gaps)
            gaps_by_source.setdefault(what, []).append(str(source))
    problems = [f"inbound {what} from {', '.join(group)} is not allowed" for what, group in gaps_by_source.items()]
    return problems
