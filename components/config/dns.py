"""Which configured hosts get Cloudflare records, in which zone, and the cluster's ingress addresses."""

from __future__ import annotations

from collections.abc import Mapping

from components.config import fields
from components.config.model import DnsRecordHost, DnsSettings
from components.config.problems import path_command, quote_plain, set_command
from components.config.reader import Reader
from components.dns.hosts import DNS_HOSTS, Target

_ADDRESS_EXAMPLE = "198.51.100.20"


def read_dns(r: Reader, names: Mapping[str, str], bifrost: bool, cluster: bool) -> DnsSettings:
    """`names`: host key -> configured host name (empty when unset)."""
    zone = r.raw_text("dnsZone")
    known = [host.key for host in DNS_HOSTS]
    unmanaged = r.string_list("dnsUnmanagedHosts", "argocdHost", required=False)
    for index, key in enumerate(unmanaged):
        if key not in known:
            r.problem("dnsUnmanagedHosts", f"{quote_plain(key)} is not a host key (known: {', '.join(known)})",
                      path_command(f"dnsUnmanagedHosts[{index}]", "argocdHost"))
    addresses = _addresses(r)
    if not zone:
        return DnsSettings("", (), addresses)
    if not fields.is_domain_name(zone):
        r.problem("dnsZone", f"is not a valid DNS zone name ({quote_plain(zone)})",
                  set_command("dnsZone", "example.com"))
        return DnsSettings(zone, (), addresses)
    enabled = {Target.BIFROST: bifrost, Target.CLUSTER: cluster}
    hosts: list[DnsRecordHost] = []
    for host in DNS_HOSTS:
        name = names.get(host.key, "")
        if not name or host.key in unmanaged or not enabled[host.target] or not fields.is_domain_name(name):
            continue  # an invalid host name is reported by its own reader, once
        if not fields.in_zone(name, zone):
            r.problem(host.key, f"{name} is not in dnsZone {zone}, so its record cannot be created there",
                      f"use a host under {zone}, or leave its record alone: "
                      + path_command(f"dnsUnmanagedHosts[{len(unmanaged)}]", host.key))
            continue
        hosts.append(DnsRecordHost(host, name))
    cluster_hosts = [record.host.key for record in hosts if record.host.target is Target.CLUSTER]
    if cluster_hosts and not addresses and not r.reported("clusterIngressAddresses"):
        r.problem("clusterIngressAddresses",
                  f"is required for the DNS records of {', '.join(cluster_hosts)} (the cluster's ingress address)",
                  path_command("clusterIngressAddresses[0]", _ADDRESS_EXAMPLE)
                  + ", or leave those records alone with dnsUnmanagedHosts")
    return DnsSettings(zone, tuple(hosts), addresses)


def _addresses(r: Reader) -> tuple[str, ...]:
    addresses = r.string_list("clusterIngressAddresses", _ADDRESS_EXAMPLE, required=False)
    for index, address in enumerate(addresses):
        if fields.address(address) is None:
            reason = ": an IPv6 zone id (%...) cannot be published in DNS" if "%" in address else ""
            r.problem("clusterIngressAddresses", f"entry {index} is not an IPv4 or IPv6 address "
                      f"({quote_plain(address)}){reason}",
                      path_command(f"clusterIngressAddresses[{index}]", _ADDRESS_EXAMPLE))
    if len(set(addresses)) != len(addresses):
        r.problem("clusterIngressAddresses", "lists an address twice",
                  f"edit clusterIngressAddresses in {r.stack_file}")
    return addresses
