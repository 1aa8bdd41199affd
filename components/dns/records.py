"""DNS records of every configured host: the Bifrost hosts to the VPS, the cluster hosts to its ingress.

Records are never proxied. Traefik and cert-manager prove the names with Let's Encrypt's DNS-01 challenge
(a TXT record, which Cloudflare never proxies anyway), but NetBird's gRPC, its relay (WebSocket) and STUN
(UDP 3478) need the VPS itself, and the OIDC redirects of Authentik, Argo CD and Grafana must reach the real
TLS endpoints that hold those certificates. Cloudflare's proxy would terminate TLS with its own certificate
and drop UDP.

Order: every record is created before anything asks Let's Encrypt for a certificate. On the VPS, Traefik
starts in bootstrap.sh, which depends on `bifrost_records`; `cluster_records` is there for the releases
that carry an Ingress.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

import pulumi

from components.config.model import DnsRecordHost, DnsSettings
from components.dns import cloudflare
from components.dns.hosts import Target


@dataclass(frozen=True)
class PlannedRecord:
    resource_name: str
    host: DnsRecordHost
    record_type: str  # A or AAAA
    address: str | None  # a cluster ingress address; None for a Bifrost record (the VPS address, known later)


def _record_type(address: str) -> str:
    return "AAAA" if ipaddress.ip_address(address).version == 6 else "A"


def plan_records(dns: DnsSettings) -> list[PlannedRecord]:
    """Every record, named stably: renaming a host or changing an address updates the record in place."""
    planned: list[PlannedRecord] = []
    for record in dns.hosts:
        if record.host.target is Target.BIFROST:
            planned += [PlannedRecord(f"dns-{record.host.slug}-{kind.lower()}", record, kind, None)
                        for kind in ("A", "AAAA")]
            continue
        seen: dict[str, int] = {}
        for address in dns.cluster_ingress:
            kind = _record_type(address)
            seen[kind] = seen.get(kind, 0) + 1
            suffix = "" if seen[kind] == 1 else f"-{seen[kind]}"
            planned.append(PlannedRecord(f"dns-{record.host.slug}-{kind.lower()}{suffix}", record, kind, address))
    return planned


class DnsRecords(pulumi.ComponentResource):
    def __init__(self, name: str, dns: DnsSettings, api_token: pulumi.Input[str], stack: str,
                 vps_ipv4: pulumi.Input[str] | None = None, vps_ipv6: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("homelab:dns:Records", name, None, opts)
        self.bifrost_records: list[pulumi.Resource] = []
        self.cluster_records: list[pulumi.Resource] = []
        lines: list[pulumi.Output[tuple[str, str]]] = []
        planned = plan_records(dns)
        if planned:
            provider = cloudflare.Provider("cloudflare", api_token=api_token,
                                           opts=pulumi.ResourceOptions(parent=self))
            zone_id = cloudflare.zone_id(dns.zone, provider, self)
            child = pulumi.ResourceOptions(parent=self, provider=provider)
            vps = {"A": vps_ipv4, "AAAA": vps_ipv6}
            for record in planned:
                content = record.address if record.address is not None else vps[record.record_type]
                if content is None:
                    raise AssertionError(f"{record.host.host.key} needs the VPS address")
                resource = cloudflare.DnsRecord(
                    record.resource_name, zone_id=zone_id, record_name=record.host.name,
                    record_type=record.record_type, content=content, proxied=False,
                    comment=f"homelab-secrets {stack}: {record.host.host.key}", opts=child)
                target = self.bifrost_records if record.host.host.target is Target.BIFROST else self.cluster_records
                target.append(resource)
                lines.append(pulumi.Output.from_input(content).apply(_line(record)))
        # Host name -> its records ("A 203.0.113.10"): names and public addresses only.
        self.summary: pulumi.Output[dict[str, list[str]]] = pulumi.Output.all(*lines).apply(_by_host)
        self.register_outputs({})


def _line(record: PlannedRecord) -> Callable[[str], tuple[str, str]]:
    return lambda address: (record.host.name, f"{record.record_type} {address}")


def _by_host(lines: list[tuple[str, str]]) -> dict[str, list[str]]:
    summary: dict[str, list[str]] = {}
    for host, line in lines:
        summary.setdefault(host, []).append(line)
    return summary
