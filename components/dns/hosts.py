"""Every public host the program configures, declared once with where its DNS record points.

The config model checks each against the zone, and the DNS component creates its records, from this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Target(Enum):
    BIFROST = "bifrost"  # the VPS: its primary IPv4 and its IPv6
    CLUSTER = "cluster"  # the cluster's ingress: clusterIngressAddresses


@dataclass(frozen=True)
class DnsHost:
    key: str  # the config key that names the host
    target: Target

    @property
    def slug(self) -> str:
        return self.key.removesuffix("Host")


DNS_HOSTS: tuple[DnsHost, ...] = (
    DnsHost("authentikHost", Target.BIFROST),
    DnsHost("netbirdHost", Target.BIFROST),
    DnsHost("infisicalHost", Target.CLUSTER),
    DnsHost("argocdHost", Target.CLUSTER),
    DnsHost("grafanaHost", Target.CLUSTER),
)
BY_KEY: dict[str, DnsHost] = {host.key: host for host in DNS_HOSTS}
