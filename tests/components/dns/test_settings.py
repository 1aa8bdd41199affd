"""DNS settings: which hosts get records, and one clear error per bad key."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.load import validate
from components.config.model import DnsSettings, Settings
from components.config.raw import RawConfig
from components.dns.hosts import DNS_HOSTS, Target
from components.dns.records import plan_records
from tests.components.dns.helpers import INGRESS, ZONE, dns_config
from verify.stackconfig import StackConfig


def check(config: StackConfig) -> tuple[Settings | None, list[Any]]:
    return validate(RawConfig(config.values, frozenset(config.secret_keys)), "test")


def settings_of(config: StackConfig) -> Settings:
    settings, problems = check(config)
    assert settings is not None, [p.render() for p in problems]
    return settings


def only_problem(config: StackConfig) -> Any:
    settings, problems = check(config)
    assert settings is None and len(problems) == 1, [p.render() for p in problems]
    return problems[0]


def test_every_host_key_is_a_setting() -> None:
    from components.config.schema import BY_KEY

    assert all(host.key in BY_KEY for host in DNS_HOSTS)


def test_managed_hosts_in_table_order() -> None:
    dns = settings_of(dns_config(grafanaHost="grafana.test.example.com")).dns
    assert [(r.host.key, r.name) for r in dns.hosts] == [
        ("authentikHost", "auth.test.example.com"), ("netbirdHost", "netbird.test.example.com"),
        ("infisicalHost", "infisical.test.example.com"), ("argocdHost", "argocd.test.example.com"),
        ("grafanaHost", "grafana.test.example.com")]
    assert dns.cluster_ingress == tuple(INGRESS)


def test_disabled_sides_get_no_records() -> None:
    dns = settings_of(dns_config(clusterEnabled=False)).dns
    assert {r.host.target for r in dns.hosts} == {Target.BIFROST}
    dns = settings_of(dns_config(bifrostEnabled=False)).dns
    assert {r.host.target for r in dns.hosts} == {Target.CLUSTER}


def test_the_zone_apex_is_in_the_zone() -> None:
    dns = settings_of(dns_config(authentikHost=ZONE)).dns
    assert dns.hosts[0].name == ZONE


@pytest.mark.parametrize(("settings", "key", "fragment"), [
    ({"dnsZone": "not a zone"}, "homelab-secrets:dnsZone", "pulumi config set homelab-secrets:dnsZone"),
    ({"argocdHost": "argocd.other.org"}, "homelab-secrets:argocdHost", "dnsUnmanagedHosts"),
    ({"authentikHost": "auth.nottest.example.com"}, "homelab-secrets:authentikHost", "dnsUnmanagedHosts"),
    ({"dnsUnmanagedHosts": ["argoHost"]}, "homelab-secrets:dnsUnmanagedHosts", "dnsUnmanagedHosts[0]"),
    ({"clusterIngressAddresses": ["198.51.100.300"]}, "homelab-secrets:clusterIngressAddresses",
     "clusterIngressAddresses[0]"),
    ({"clusterIngressAddresses": ["198.51.100.20", "198.51.100.20"]}, "homelab-secrets:clusterIngressAddresses",
     "clusterIngressAddresses"),
    ({"clusterIngressAddresses": []}, "homelab-secrets:clusterIngressAddresses", "clusterIngressAddresses[0]"),
    ({"clusterIngressAddresses": "198.51.100.20"}, "homelab-secrets:clusterIngressAddresses",
     "clusterIngressAddresses[0]"),
])
def test_bad_dns_settings_name_the_key_and_the_fix(settings: dict[str, Any], key: str, fragment: str) -> None:
    config = dns_config(**settings)
    if settings.get("clusterIngressAddresses") == "198.51.100.20":
        config.values["homelab-secrets:clusterIngressAddresses"] = "198.51.100.20"  # not a JSON list
    problem = only_problem(config)
    assert problem.key == key
    assert fragment in problem.fix


def test_unmanaged_cluster_hosts_need_no_ingress_address() -> None:
    dns = settings_of(dns_config(clusterIngressAddresses=[],
                                 dnsUnmanagedHosts=["infisicalHost", "argocdHost"])).dns
    assert {r.host.target for r in dns.hosts} == {Target.BIFROST}


def test_plan_names_are_stable_per_family() -> None:
    dns = settings_of(dns_config(clusterIngressAddresses=["198.51.100.20", "198.51.100.21", "2001:db8:1::20"],
                                 dnsUnmanagedHosts=["authentikHost", "netbirdHost", "argocdHost"])).dns
    planned = [(p.resource_name, p.record_type, p.address) for p in plan_records(dns)]
    assert planned == [("dns-infisical-a", "A", "198.51.100.20"), ("dns-infisical-a-2", "A", "198.51.100.21"),
                       ("dns-infisical-aaaa", "AAAA", "2001:db8:1::20")]
    assert plan_records(DnsSettings()) == []
