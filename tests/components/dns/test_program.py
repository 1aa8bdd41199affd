"""DNS records under the mocks: names, types, targets, opt-out, explicit provider, order, secrecy."""

from __future__ import annotations

import pytest

from components.dns import cloudflare
from tests.components.dns.helpers import INGRESS, RECORD, ZONE, ZONE_ID, ZoneLookups, dns_config, evaluate_dns, records
from verify.evaluate import Evaluation
from verify.leaks import find_leaks
from verify.mocks import is_secret_marker

VPS_IPV4 = "203.0.113.10"  # the mock's primary IP and server IPv6
VPS_IPV6 = "2001:db8::1"
BIFROST_RECORDS = {"dns-authentik-a", "dns-authentik-aaaa", "dns-netbird-a", "dns-netbird-aaaa"}
CLUSTER_RECORDS = {"dns-infisical-a", "dns-infisical-aaaa", "dns-argocd-a", "dns-argocd-aaaa"}


@pytest.fixture(scope="module")
def evaluated() -> tuple[Evaluation, ZoneLookups]:
    evaluation, lookups = evaluate_dns(dns_config())
    assert evaluation.error is None, evaluation.error
    return evaluation, lookups


@pytest.fixture(scope="module")
def evaluation(evaluated: tuple[Evaluation, ZoneLookups]) -> Evaluation:
    return evaluated[0]


def test_every_configured_host_gets_its_records(evaluation: Evaluation) -> None:
    found = {name: (r["name"], r["type"], r["content"]) for name, r in records(evaluation).items()}
    assert found == {
        "dns-authentik-a": ("auth.test.example.com", "A", VPS_IPV4),
        "dns-authentik-aaaa": ("auth.test.example.com", "AAAA", VPS_IPV6),
        "dns-netbird-a": ("netbird.test.example.com", "A", VPS_IPV4),
        "dns-netbird-aaaa": ("netbird.test.example.com", "AAAA", VPS_IPV6),
        "dns-infisical-a": ("infisical.test.example.com", "A", INGRESS[0]),
        "dns-infisical-aaaa": ("infisical.test.example.com", "AAAA", INGRESS[1]),
        "dns-argocd-a": ("argocd.test.example.com", "A", INGRESS[0]),
        "dns-argocd-aaaa": ("argocd.test.example.com", "AAAA", INGRESS[1]),
    }


def test_records_are_not_proxied_and_sit_in_the_looked_up_zone(evaluation: Evaluation) -> None:
    for name, record in records(evaluation).items():
        assert record["proxied"] is False, name
        assert record["zoneId"] == ZONE_ID, name
        assert record["ttl"] == cloudflare.TTL_AUTOMATIC


def test_the_zone_is_found_by_name_with_the_explicit_provider(evaluated: tuple[Evaluation, ZoneLookups]) -> None:
    evaluation, lookups = evaluated
    provider = evaluation.one("pulumi:providers:cloudflare", "cloudflare")
    assert len(lookups.calls) == 1
    call = lookups.calls[0]
    assert call.args["filter"] == {"match": "all", "name": ZONE}
    assert call.provider is not None and call.provider.startswith(provider.urn)


def test_every_record_uses_the_explicit_provider_with_a_secret_token(evaluation: Evaluation) -> None:
    provider = evaluation.one("pulumi:providers:cloudflare", "cloudflare")
    assert is_secret_marker(provider.inputs["apiToken"])
    assert provider.options.get("version") == cloudflare.sdk_version()
    for record in evaluation.by_type(RECORD):
        assert record.options["provider"].startswith(provider.urn), record.name


def test_traefik_starts_only_after_the_bifrost_records_exist(evaluation: Evaluation) -> None:
    bootstrap = evaluation.one("command:remote:Command", "bifrost-files-bootstrap")
    urns = {r.name: r.urn for r in evaluation.by_type(RECORD)}
    assert {urns[name] for name in BIFROST_RECORDS} <= set(bootstrap.dependencies)
    assert not {urns[name] for name in CLUSTER_RECORDS} & set(bootstrap.dependencies)


def test_bifrost_records_follow_the_vps_addresses(evaluation: Evaluation) -> None:
    primary_ip = evaluation.one("hcloud:index/primaryIp:PrimaryIp", "bifrost-ipv4")
    server = evaluation.one("hcloud:index/server:Server", "bifrost")
    for record in evaluation.by_type(RECORD):
        if record.name in BIFROST_RECORDS:
            source = primary_ip if record.name.endswith("-a") else server
            assert source.urn in record.all_dependencies(), record.name


def test_the_cloudflare_token_stays_secret(evaluation: Evaluation) -> None:
    assert find_leaks(evaluation) == []
    token = next(c for c in evaluation.canaries if c.label == "cloudflareApiToken")
    for record in evaluation.by_type(RECORD):
        assert token.marker not in repr(record.inputs)


def test_a_host_can_opt_out() -> None:
    evaluation, _ = evaluate_dns(dns_config(dnsUnmanagedHosts=["argocdHost", "netbirdHost"]))
    assert evaluation.error is None, evaluation.error
    assert set(records(evaluation)) == (BIFROST_RECORDS | CLUSTER_RECORDS) - {
        "dns-argocd-a", "dns-argocd-aaaa", "dns-netbird-a", "dns-netbird-aaaa"}


def test_grafana_host_points_to_the_cluster_ingress() -> None:
    evaluation, _ = evaluate_dns(dns_config(grafanaHost="grafana.test.example.com",
                                            clusterIngressAddresses=["198.51.100.20"]))
    found = records(evaluation)
    assert found["dns-grafana-a"]["name"] == "grafana.test.example.com"
    assert found["dns-grafana-a"]["content"] == "198.51.100.20"
    assert not any(name.endswith("-aaaa") and name.split("-")[1] in ("infisical", "argocd", "grafana")
                   for name in found)


def test_no_zone_means_no_cloudflare_resource_and_no_lookup() -> None:
    config = dns_config()
    config.unset("dnsZone")
    evaluation, lookups = evaluate_dns(config)
    assert lookups.calls == []
    assert not [r for r in evaluation.registrations if "cloudflare" in r.type]


def test_an_unknown_zone_fails_with_the_key_and_the_fix() -> None:
    evaluation, _ = evaluate_dns(dns_config(), zones={})
    message = evaluation.error or str(evaluation.crash)
    assert "homelab-secrets:dnsZone" in message and ZONE in message
    assert "fix:" in message


def test_the_records_are_a_stack_output(evaluation: Evaluation) -> None:
    from verify.mocks import unwrap

    summary = unwrap(evaluation.stack_outputs["dnsRecords"])
    assert summary["auth.test.example.com"] == [f"A {VPS_IPV4}", f"AAAA {VPS_IPV6}"]
    assert summary["infisical.test.example.com"] == [f"A {INGRESS[0]}", f"AAAA {INGRESS[1]}"]
    assert set(summary) == {"auth.test.example.com", "netbird.test.example.com", "infisical.test.example.com",
                            "argocd.test.example.com"}
