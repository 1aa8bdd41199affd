"""The config model reads every value exactly once, and builds disabled areas from the schema's defaults."""

from __future__ import annotations

from collections import Counter

import pytest

from components.config import schema
from components.config.load import validate
from components.config.model import BifrostSettings, ClusterSettings
from components.config.raw import RawConfig
from components.secrets_registry import PROJECT, SECRETS
from tests.conftest import full_config
from verify.stackconfig import StackConfig


class CountingRaw(RawConfig):
    """A raw config that counts how often each key's value is read."""

    def __init__(self, config: StackConfig) -> None:
        super().__init__(config.values, frozenset(config.secret_keys))
        self.reads: Counter[str] = Counter()

    def get(self, key: str) -> str | None:
        self.reads[key] += 1
        return super().get(key)


def every_key_set() -> StackConfig:
    """The test stack with every setting and every secret given a valid value."""
    config = full_config(include_generated=True)
    config.set("sshPublicKey", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + "A" * 43)
    deploy_key = next(spec for spec in SECRETS if spec.config_key == "sshPrivateKey")
    config.set_secret(deploy_key)
    config.set("grafanaHost", "grafana.test.example.com")
    config.set("githubOauthClientId", "Ov23liExampleClientId")
    config.set("dnsUnmanagedHosts", ["grafanaHost"])
    return config


def test_every_value_is_read_exactly_once() -> None:
    config = every_key_set()
    raw = CountingRaw(config)
    settings, problems = validate(raw, "test")
    assert settings is not None, [p.render() for p in problems]
    assert {key for key, count in raw.reads.items() if count != 1} == set()
    set_keys = {key.removeprefix(f"{PROJECT}:") for key in config.values if key.startswith(f"{PROJECT}:")}
    assert set_keys - set(raw.reads) == set(), "a key that is set was never read"
    assert set(raw.reads) == schema.known_keys()  # with everything on, every key the program knows is read


@pytest.mark.parametrize("switches", [{"bifrostEnabled": False}, {"clusterEnabled": False},
                                      {"bifrostEnabled": False, "clusterEnabled": False}])
def test_no_value_is_read_twice_whatever_is_enabled(switches: dict[str, bool]) -> None:
    config = every_key_set()
    for key, value in switches.items():
        config.set(key, value)
    raw = CountingRaw(config)
    validate(raw, "test")
    assert [key for key, count in raw.reads.items() if count > 1] == []


def test_the_counter_catches_a_second_read() -> None:
    raw = CountingRaw(every_key_set())
    validate(raw, "test")
    raw.get("serverName")
    assert raw.reads["serverName"] == 2


def test_disabled_areas_are_built_from_the_schema_defaults() -> None:
    bifrost = BifrostSettings(enabled=False)
    assert (bifrost.server_name, bifrost.location, bifrost.server_type, bifrost.image, bifrost.server_replacement,
            bifrost.stage_timeout) == tuple(schema.default(key) for key in (
                "serverName", "location", "serverType", "image", "serverReplacement", "bootstrapStageTimeout"))
    cluster = ClusterSettings(enabled=False)
    assert (cluster.project_slug, cluster.cloudflare_secret_key, cluster.cluster_issuer) == (
        schema.default("infisicalProjectSlug"), schema.default("cloudflareSecretKey"), schema.default("clusterIssuer"))
    config = full_config()
    config.set("bifrostEnabled", False)
    config.set("clusterEnabled", False)
    settings, problems = validate(RawConfig(config.values, frozenset(config.secret_keys)), "test")
    assert settings is not None, [p.render() for p in problems]
    assert settings.bifrost == BifrostSettings(enabled=False)
    assert settings.cluster.enabled is False
