"""Pure validators of single values: DNS names, emails, networks, Kubernetes names and keys.

Each returns whether the value is acceptable (or the parsed value); none reads config or reports. Durations
have their own module, `components.durations`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_SECRET_DATA_KEY = re.compile(r"[-._a-zA-Z0-9]{1,253}")
_REMOTE_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,256}")
# An Infisical folder name: backend/src/lib/validator/validate-folder-name.ts isValidFolderName, which the v2
# folder route applies to every name it creates (docs/infisical-bootstrap.md).
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9_%+\-]+(\.[A-Za-z0-9_%+\-]+)*")
_ALPHA_TLD = re.compile(r"[a-z]{2,63}")
GROUP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.\-]{0,62}")  # no comma or quote: Argo CD's RBAC is CSV
OAUTH_CLIENT_ID = re.compile(r"[A-Za-z0-9._\-]{8,128}")
SSH_ED25519_PUBLIC = re.compile(r"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/=]{30,80}( [^\n\"'$\\]*)?")
ORGANIZATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}")
ARGOCD_ROLE = re.compile(r"role:[A-Za-z0-9_.-]+")
_HTTP_URL = re.compile(r"https?://([A-Za-z0-9.-]+)(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?")
SERVER_TYPE = re.compile(r"c[a-z]*[0-9]{2}")


def is_dns_label(value: str) -> bool:
    return len(value) <= 63 and _LABEL.fullmatch(value) is not None


def is_dns_subdomain(value: str) -> bool:
    """A Kubernetes object name (RFC 1123 subdomain): dot-separated labels, none empty."""
    return 0 < len(value) <= 253 and all(is_dns_label(part) for part in value.split("."))


def is_domain_name(value: str) -> bool:
    """A public host name: at least two labels, none empty, and not an IP address (the last label has a letter)."""
    if len(value) > 253 or "." not in value:
        return False
    labels = value.split(".")
    return all(is_dns_label(label) for label in labels) and not labels[-1].isdigit()


def is_http_url(value: str) -> bool:
    """http(s)://host[:port][/path], the host a DNS name (an in-cluster Service's short name too) or an IPv4
    address, with no empty label."""
    match = _HTTP_URL.fullmatch(value)
    if match is None:
        return False
    host = match.group(1).lower()
    return is_dns_subdomain(host) or address(host) is not None


def in_zone(host: str, zone: str) -> bool:
    return host == zone or host.endswith("." + zone)


def is_email(value: str) -> bool:
    """local@domain: dot-separated atoms (no leading, trailing or double dot) at a public host name."""
    local, at, domain = value.rpartition("@")
    return (bool(at) and len(local) <= 64 and _EMAIL_LOCAL.fullmatch(local) is not None
            and is_domain_name(domain.lower()) and _ALPHA_TLD.fullmatch(domain.lower().rsplit(".", 1)[-1]) is not None)


def network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A CIDR network in canonical form (host bits zero); None otherwise, and for an IPv6 zone id (`%eth0`)."""
    return _without_zone(value, lambda text: ipaddress.ip_network(text, strict=True))


def address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """A single IPv4 or IPv6 address; None otherwise, and for an IPv6 zone id (a link-local scope)."""
    return _without_zone(value, ipaddress.ip_address)


def _without_zone(value: str, parse: Callable[[str], T]) -> T | None:
    # Python accepts a scope id (`fe80::1%eth0`), which names an interface of one machine: no firewall rule or
    # DNS record can use it.
    if "%" in value:
        return None
    try:
        return parse(value)
    except ValueError:
        return None


def is_secret_data_key(value: str) -> bool:
    """A key of a Secret's data, as the API server accepts it (IsConfigMapKey): not `.`, `..` or `..`-prefixed."""
    return _SECRET_DATA_KEY.fullmatch(value) is not None and value not in (".", "..") and not value.startswith("..")


def is_remote_key(value: str) -> bool:
    return _REMOTE_KEY.fullmatch(value) is not None


def is_infisical_path(value: str) -> bool:
    """`/` or `/a/b`: each segment a name Infisical can hold as a folder (letters, digits, `-` and `_`; so no
    `.` or `..` either, nothing climbs out), so the provisioner Job can create every folder of the path."""
    if value == "/":
        return True
    if not value.startswith("/"):
        return False
    return all(_PATH_SEGMENT.fullmatch(segment) is not None for segment in value[1:].split("/"))
