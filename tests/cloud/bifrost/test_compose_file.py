"""cloud/bifrost/docker-compose.yml: valid per the Compose spec, and true to the stack's rules."""

from __future__ import annotations

import ipaddress
import json
import re
from functools import cache
from typing import Any

import jsonschema
import pytest
import yaml

from components.bifrost import render
from fakes.bifrost import contract
from fakes.bifrost.harness import BIFROST_SOURCE
from tests.components.bifrost.compose_dotenv_reader import parse
from tests.components.bifrost.test_render import SETTINGS
from tests.conftest import refs_path

COMPOSE_FILE = BIFROST_SOURCE / "docker-compose.yml"
BOOTSTRAP = BIFROST_SOURCE / "bootstrap.sh"
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "KEY")


@cache
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return document


def services() -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose()["services"]
    return result


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    return {name: spec["condition"] for name, spec in service.get("depends_on", {}).items()}


def stages() -> list[tuple[str, str, list[str]]]:
    """(stage name, profile, services) in the order bootstrap.sh's main() starts them."""
    found: list[tuple[str, str, list[str]]] = []
    for line in BOOTSTRAP.read_text().splitlines():
        if match := re.fullmatch(r'\s*stage (\S+) "" (.+)', line):
            found.append((match[1], "", match[2].split()))
        elif match := re.fullmatch(r"\s*optional_stage (\S+) (\S+) .*", line):
            found.append((match[1], match[2], [match[1]]))
    return found


def test_compose_file_validates_against_the_compose_spec() -> None:
    schema = json.loads(refs_path("compose", "compose-spec.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(compose()), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_the_services_are_the_stack() -> None:
    assert set(services()) == {
        "traefik", "authentik-postgres", "authentik-migrate", "authentik-server", "authentik-worker",
        "netbird-server", "netbird-dashboard", "netbird-proxy", "netbird-agent",
    }


@pytest.mark.parametrize("name", sorted(yaml.safe_load(COMPOSE_FILE.read_text())["services"]))
def test_every_service_is_pinned_hardened_and_rotates_its_logs(name: str) -> None:
    service = services()[name]
    # Renovate's pinDigests appends "@sha256:<digest>" to the tag; the tag stays the readable pin.
    image = service["image"].partition("@")[0]
    repository, _, tag = image.rpartition(":")
    assert repository and re.fullmatch(r"v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?", tag), f"{image} is not pinned"
    if repository.startswith("docker.io/netbirdio/") and not repository.endswith("/dashboard"):
        assert not tag.startswith("v"), f"{image}: NetBird image tags have no v"
    assert service["security_opt"] == ["no-new-privileges:true"]
    assert service["logging"]["driver"] == "json-file"
    assert set(service["logging"]["options"]) == {"max-size", "max-file"}
    assert service["container_name"] == name
    assert "privileged" not in service
    for volume in service.get("volumes", []):
        assert "docker.sock" not in volume


def test_netbird_images_share_one_version() -> None:
    tags = {s["image"].partition("@")[0].rpartition(":")[2] for n, s in services().items()
            if n in ("netbird-server", "netbird-proxy", "netbird-agent")}
    assert len(tags) == 1


def test_each_secret_bearing_service_has_exactly_its_contract_env_file() -> None:
    actual = {name: service["env_file"] for name, service in services().items() if "env_file" in service}
    issued = {name: [f"./{path}"] for name, (path, _keys) in contract.ISSUED_ENV_FILES.items()}
    assert actual == {name: [*issued.get(name, []), f"./{path}"] for name, path in contract.SERVICE_ENV_FILE.items()}


def test_no_secret_is_set_in_the_compose_file() -> None:
    for name, service in services().items():
        for key, value in service.get("environment", {}).items():
            if any(word in key for word in SECRET_WORDS):
                assert value in ("", "false"), f"{name}: {key} looks like a secret in the compose file"


def test_bootstrap_variables_reach_only_the_worker() -> None:
    holders = [path for path, keys in contract.ENV_FILES.items()
               if set(keys) & {*contract.AUTHENTIK_BOOTSTRAP_KEYS, "BIFROST_API_TOKEN"}]
    assert holders == ["env/authentik-worker.env"]
    users = [name for name, path in contract.SERVICE_ENV_FILE.items() if path in holders]
    assert users == ["authentik-worker"]
    for service in services().values():
        assert not set(service.get("environment", {})) & set(contract.AUTHENTIK_BOOTSTRAP_KEYS)


def test_interpolation_uses_only_the_dotenv_contract() -> None:
    text = COMPOSE_FILE.read_text()
    used = set(re.findall(r"(?<!\$)\$\{(\w+)", text)) | set(re.findall(r"(?<!\$)\$(\w+)", text))
    assert used == set(contract.DOTENV_KEYS) - {"COMPOSE_PROJECT_NAME"}


def test_dependencies_exist_use_known_conditions_and_have_no_cycle() -> None:
    graph = {name: depends_on(service) for name, service in services().items()}
    for name, dependencies in graph.items():
        for dependency, condition in dependencies.items():
            assert dependency in graph, f"{name} depends on unknown {dependency}"
            assert condition in CONDITIONS
            if condition == "service_healthy":
                assert "healthcheck" in services()[dependency], f"{dependency} has no healthcheck"
            if condition == "service_completed_successfully":
                assert services()[dependency]["restart"] == "no", f"{dependency} is not a one-shot"
            assert not services()[dependency].get("profiles"), f"{name} depends on optional {dependency}"

    def reaches(start: str, target: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(d == target or (d not in seen and reaches(d, target, seen | {d})) for d in graph[start])

    assert [name for name in graph if reaches(name, name)] == []


def test_start_order_is_encoded_in_depends_on() -> None:
    graph = {name: depends_on(service) for name, service in services().items()}
    assert graph["authentik-migrate"] == {"authentik-postgres": "service_healthy"}
    for name in ("authentik-server", "authentik-worker"):
        assert graph[name] == {"authentik-postgres": "service_healthy",
                               "authentik-migrate": "service_completed_successfully"}
    assert graph["netbird-dashboard"]["netbird-server"] == "service_started"


def test_traefik_is_never_gated_on_netbird() -> None:
    assert "depends_on" not in services()["traefik"]
    for service in services().values():
        assert depends_on(service).get("netbird-server", "service_started") == "service_started"


def test_every_service_is_started_by_some_stage() -> None:
    started = [name for _, _, names in stages() for name in names]
    assert sorted(started) == sorted(services()), "each service is started by exactly one stage"
    assert [stage for stage, _, _ in stages()] == [
        "edge", "authentik", "netbird", "netbird-proxy", "netbird-agent"]


def test_stages_depend_only_on_earlier_or_same_stages() -> None:
    stage_of = {name: index for index, (_, _, names) in enumerate(stages()) for name in names}
    for name, service in services().items():
        for dependency in depends_on(service):
            assert stage_of[dependency] <= stage_of[name], f"{name} starts before {dependency}"


def test_one_shot_services_are_adopted_within_their_stage() -> None:
    # `compose up --wait` fails on a container that exited, even with 0, unless a service of the same
    # call waits for it with service_completed_successfully.
    for _, _, names in stages():
        for name in names:
            if services()[name].get("restart") == "no":
                adopters = [n for n in names if depends_on(services()[n]).get(name) ==
                            "service_completed_successfully"]
                assert adopters, f"{name} exits but nothing in its stage waits for it"


def test_optional_services_live_in_the_profiles_of_their_env_files() -> None:
    for path, profile in contract.OPTIONAL_ENV_FILES.items():
        owners = [name for name, env in contract.SERVICE_ENV_FILE.items() if env == path]
        assert len(owners) == 1
        assert services()[owners[0]]["profiles"] == [profile]
        assert (owners[0], profile) in {(stage, p) for stage, p, _ in stages()}
    with_profiles = {name for name, service in services().items() if service.get("profiles")}
    assert with_profiles == {"netbird-proxy", "netbird-agent"}


def test_netbird_server_reads_its_rendered_config_read_only() -> None:
    server = services()["netbird-server"]
    assert server["command"] == ["--config", contract.NETBIRD_CONFIG_MOUNT]
    assert f"./{contract.NETBIRD_CONFIG}:{contract.NETBIRD_CONFIG_MOUNT}:ro" in server["volumes"]
    assert "3478:3478/udp" in server["ports"]
    assert "env_file" not in server and "environment" not in server
    # A changed config changes this label, and a changed label recreates the container.
    assert server["labels"]["bifrost.netbird-config-digest"].startswith("${NETBIRD_CONFIG_DIGEST")


def test_netbird_config_format_has_no_placeholders() -> None:
    # NetBird reads the file verbatim; upstream's example holds literal values, never ${VAR}.
    example = refs_path("netbird", "config.yaml.example").read_text()
    assert "${" not in example
    assert "listenAddress" in example and "authSecret" in example


def test_authentik_services_follow_upstream_without_redis() -> None:
    upstream = yaml.safe_load(refs_path("authentik", "compose.yml").read_text())
    # The reference compose file is from 2026.2.2; patch releases of the same line keep its shape.
    line = upstream["services"]["server"]["image"].rpartition(":-")[2].rstrip("}").rsplit(".", 1)[0]
    for name in ("authentik-migrate", "authentik-server", "authentik-worker"):
        image = services()[name]["image"].partition("@")[0]
        assert image.startswith(f"ghcr.io/goauthentik/server:{line}."), image
        assert not any("REDIS" in key for key in services()[name].get("environment", {}))
    assert services()["authentik-server"]["command"] == "server"
    assert services()["authentik-worker"]["command"] == "worker"
    assert services()["authentik-migrate"]["command"] == ["python", "-m", "lifecycle.migrate"]
    assert "redis" not in json.dumps(compose()).lower()


def test_healthchecks_exist_where_compose_waits_on_health() -> None:
    for name in ("traefik", "authentik-postgres", "authentik-server", "authentik-worker", "netbird-agent"):
        assert services()[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
    # Its health endpoint dials the public relay URL, which says nothing about the container itself.
    assert "healthcheck" not in services()["netbird-server"]


def interpolated(dotenv: dict[str, str]) -> dict[str, Any]:
    """The compose file as compose reads it with this `.env`: `${NAME}` and `${NAME:?message}` replaced."""
    text = re.sub(r"(?<!\$)\$\{(\w+)(:\?[^}]*)?\}", lambda m: dotenv[m[1]], COMPOSE_FILE.read_text())
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def test_traefik_is_the_only_trusted_proxy_and_its_address_comes_from_the_rendered_dotenv() -> None:
    dotenv = dict(parse(render.compose_dotenv(SETTINGS, "00")))
    document = interpolated(dotenv)
    address = document["services"]["traefik"]["networks"]["bifrost"]["ipv4_address"]
    assert address == render.TRAEFIK_ADDRESS
    assert document["services"]["netbird-proxy"]["environment"]["NB_PROXY_TRUSTED_PROXIES"] == address
    assert render.TRAEFIK_ADDRESS not in COMPOSE_FILE.read_text(), "the compose file spells the address itself"
    (pool,) = document["networks"]["bifrost"]["ipam"]["config"]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(pool["subnet"])
    assert ipaddress.ip_address(address) not in ipaddress.ip_network(pool["ip_range"]), "docker could hand it out"
