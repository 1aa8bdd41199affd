"""cloud/bifrost/traefik/dynamic.yml: the routes NetBird's combined server and Authentik need."""

from __future__ import annotations

import re
from typing import Any

import yaml

from fakes.bifrost.harness import BIFROST_SOURCE

DYNAMIC = BIFROST_SOURCE / "traefik" / "dynamic.yml"
COMPOSE = BIFROST_SOURCE / "docker-compose.yml"
HOSTS = {"AUTHENTIK_HOST": "auth.example.com", "NETBIRD_HOST": "netbird.example.com"}
TEMPLATE = re.compile(r'\{\{\s*env\s+"(\w+)"\s*\}\}')


def rendered() -> dict[str, Any]:
    """The file as Traefik sees it after expanding its {{ env "..." }} templates."""
    text = TEMPLATE.sub(lambda match: HOSTS[match[1]], DYNAMIC.read_text())
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def compose_services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


def prefixes(rule: str) -> set[str]:
    return set(re.findall(r"PathPrefix\(`([^`]+)`\)", rule))


def test_templates_only_read_variables_traefik_is_given() -> None:
    wanted = set(TEMPLATE.findall(DYNAMIC.read_text()))
    assert wanted == set(HOSTS)
    assert wanted <= set(compose_services()["traefik"]["environment"])


def test_the_file_provider_watches_the_mounted_directory() -> None:
    traefik = compose_services()["traefik"]
    assert "--providers.file.directory=/etc/traefik/dynamic" in traefik["command"]
    assert "./traefik:/etc/traefik/dynamic:ro" in traefik["volumes"]


def test_authentik_host_routes_to_the_authentik_server() -> None:
    http = rendered()["http"]
    router = http["routers"]["authentik"]
    assert router["rule"] == "Host(`auth.example.com`)"
    assert http["services"][router["service"]]["loadBalancer"]["servers"] == [
        {"url": "http://authentik-server:9000"}]


def test_netbird_grpc_goes_to_the_combined_server_as_h2c() -> None:
    http = rendered()["http"]
    router = http["routers"]["netbird-grpc"]
    assert router["rule"].startswith("Host(`netbird.example.com`) && ")
    assert prefixes(router["rule"]) == {
        "/signalexchange.SignalExchange/", "/management.ManagementService/", "/management.ProxyService/"}
    assert http["services"][router["service"]]["loadBalancer"]["servers"] == [{"url": "h2c://netbird-server:80"}]


def test_netbird_http_paths_go_to_the_combined_server() -> None:
    http = rendered()["http"]
    router = http["routers"]["netbird-backend"]
    assert router["rule"].startswith("Host(`netbird.example.com`) && ")
    assert prefixes(router["rule"]) == {"/relay", "/ws-proxy/", "/api", "/oauth2"}
    assert http["services"][router["service"]]["loadBalancer"]["servers"] == [{"url": "http://netbird-server:80"}]


def test_the_dashboard_takes_the_rest_of_the_netbird_host() -> None:
    routers = rendered()["http"]["routers"]
    dashboard = routers["netbird-dashboard"]
    assert dashboard["rule"] == "Host(`netbird.example.com`)"
    assert dashboard["priority"] < min(routers["netbird-grpc"]["priority"], routers["netbird-backend"]["priority"])


def test_every_router_is_tls_on_websecure_with_the_cloudflare_resolver() -> None:
    traefik = compose_services()["traefik"]
    assert "--certificatesresolvers.cloudflare.acme.dnschallenge.provider=cloudflare" in traefik["command"]
    assert traefik["env_file"] == ["./env/traefik.env"]
    for name, router in rendered()["http"]["routers"].items():
        assert router["entryPoints"] == ["websecure"], name
        assert router["tls"] == {"certResolver": "cloudflare"}, name


def test_backends_are_compose_services() -> None:
    services = compose_services()
    http = rendered()["http"]
    for name, service in http["services"].items():
        for server in service["loadBalancer"]["servers"]:
            host = re.fullmatch(r"(?:https?|h2c)://([\w-]+):\d+", server["url"])
            assert host and host[1] in services, name
    for router in http["routers"].values():
        assert router["service"] in http["services"]


def test_other_tls_names_pass_through_to_the_netbird_proxy() -> None:
    tcp = rendered()["tcp"]
    router = tcp["routers"]["netbird-proxy-passthrough"]
    assert router["rule"] == "HostSNI(`*`)"
    assert router["tls"] == {"passthrough": True}
    assert router["priority"] == 1
    service = tcp["services"][router["service"]]["loadBalancer"]
    proxy = compose_services()["netbird-proxy"]
    assert service["servers"] == [{"address": f"netbird-proxy{proxy['environment']['NB_PROXY_ADDRESS']}"}]
    assert tcp["serversTransports"][service["serversTransport"]] == {"proxyProtocol": {"version": 2}}
    assert proxy["environment"]["NB_PROXY_PROXY_PROTOCOL"] == "true"
