"""The config model: every bad input gets one clean error naming the key and the fixing command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from components.config.load import validate
from components.config.problems import Problem
from components.config.raw import RawConfig
from components.secrets_registry import PROJECT
from tests.conftest import TEST_STACK, full_config, run
from verify.__main__ import EXIT_BAD_CONFIG, run_check
from verify.stackconfig import StackConfig

Mutation = Callable[[StackConfig], None]


def unset(key: str) -> Mutation:
    return lambda config: config.unset(key)


def plain(key: str, value: object) -> Mutation:
    return lambda config: config.set(key, value)


def secret(key: str, value: str) -> Mutation:
    def apply(config: StackConfig) -> None:
        config.values[f"{PROJECT}:{key}"] = value
        config.secret_keys.add(f"{PROJECT}:{key}")

    return apply


def app(index: int, **fields: object) -> Mutation:
    def apply(config: StackConfig) -> None:
        apps = [dict(a) for a in TEST_STACK["homelab-secrets:apps"]]
        apps[index].update(fields)
        apps[index] = {k: v for k, v in apps[index].items() if v is not None}
        config.set("apps", apps)

    return apply


def duplicate_target(config: StackConfig) -> None:
    apps = [dict(a) for a in TEST_STACK["homelab-secrets:apps"]]
    apps.append(dict(apps[0], name="grafana-two"))
    config.set("apps", apps)


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Mutation
    key: str  # the key the single error must name
    fix: str  # a fragment of the command that fixes it


CASES = [
    Case("missing-authentik-host", unset("authentikHost"), "homelab-secrets:authentikHost",
         "pulumi config set homelab-secrets:authentikHost"),
    Case("missing-ssh-ranges", unset("sshSourceRanges"), "homelab-secrets:sshSourceRanges",
         "pulumi config set --path 'homelab-secrets:sshSourceRanges[0]'"),
    Case("missing-admin-email", unset("adminEmail"), "homelab-secrets:adminEmail", "adminEmail"),
    Case("missing-hcloud-token", unset("hcloudToken"), "homelab-secrets:hcloudToken",
         "pulumi config set --secret homelab-secrets:hcloudToken"),
    Case("missing-kubeconfig", unset("kubeconfig"), "homelab-secrets:kubeconfig",
         "pulumi config set --secret homelab-secrets:kubeconfig"),
    Case("bool-wrong-type", plain("bifrostEnabled", "yes"), "homelab-secrets:bifrostEnabled",
         "pulumi config set homelab-secrets:bifrostEnabled true"),
    Case("int-wrong-type", plain("bootstrapStageTimeout", "fast"), "homelab-secrets:bootstrapStageTimeout",
         "bootstrapStageTimeout"),
    Case("int-out-of-range", plain("bootstrapStageTimeout", 5), "homelab-secrets:bootstrapStageTimeout",
         "bootstrapStageTimeout"),
    Case("list-wrong-type", plain("sshSourceRanges", "203.0.113.7/32"), "homelab-secrets:sshSourceRanges",
         "--path"),
    Case("catalog-wrong-type", plain("apps", {"name": "x"}), "homelab-secrets:apps", "apps"),
    Case("store-key-format", secret("netbirdStoreKey", "c2hvcnQ="), "homelab-secrets:netbirdStoreKey",
         "pulumi config set --secret homelab-secrets:netbirdStoreKey"),
    Case("relay-secret-format", secret("netbirdRelaySecret", "not base64!"), "homelab-secrets:netbirdRelaySecret",
         "netbirdRelaySecret"),
    Case("encryption-key-format", secret("infisicalEncryptionKey", "abc123"), "homelab-secrets:infisicalEncryptionKey",
         "infisicalEncryptionKey"),
    Case("auth-secret-format", secret("infisicalAuthSecret", "deadbeef" * 6), "homelab-secrets:infisicalAuthSecret",
         "infisicalAuthSecret"),
    Case("setup-key-format", secret("netbirdSetupKey", "not-a-uuid"), "homelab-secrets:netbirdSetupKey",
         "netbirdSetupKey"),
    Case("hcloud-token-format", secret("hcloudToken", "short"), "homelab-secrets:hcloudToken", "hcloudToken"),
    Case("bcrypt-format", secret("netbirdOwnerPasswordHash", "plain-password"),
         "homelab-secrets:netbirdOwnerPasswordHash", "netbirdOwnerPasswordHash"),
    Case("host-key-format", secret("sshHostPrivateKey", "ssh-ed25519 AAAA public-not-private"),
         "homelab-secrets:sshHostPrivateKey", "sshHostPrivateKey"),
    Case("kubeconfig-format", secret("kubeconfig", "just: a map"), "homelab-secrets:kubeconfig", "kubeconfig"),
    Case("machine-identity-format", secret("machineIdentityClientId", "client"),
         "homelab-secrets:machineIdentityClientId", "machineIdentityClientId"),
    Case("secret-with-newline", secret("cloudflareApiToken", "abcdefghijklmnopqrstuvwxyz\nINJECTED=1"),
         "homelab-secrets:cloudflareApiToken", "cloudflareApiToken"),
    Case("secret-with-quote", secret("authentikSecretKey", 'a"' * 30), "homelab-secrets:authentikSecretKey",
         "authentikSecretKey"),
    Case("secret-with-dollar", secret("authentikPostgresPassword", "pa$$word1234567890"),
         "homelab-secrets:authentikPostgresPassword", "authentikPostgresPassword"),
    Case("secret-in-plaintext", lambda c: c.secret_keys.discard(f"{PROJECT}:cloudflareApiToken"),
         "homelab-secrets:cloudflareApiToken", "pulumi config rm homelab-secrets:cloudflareApiToken"),
    Case("invalid-domain", plain("authentikHost", "auth..example.com"), "homelab-secrets:authentikHost",
         "authentikHost"),
    Case("domain-with-dollar", plain("netbirdHost", "net$bird.example.com"), "homelab-secrets:netbirdHost",
         "netbirdHost"),
    Case("domain-with-quote", plain("infisicalHost", 'infisical".example.com'), "homelab-secrets:infisicalHost",
         "infisicalHost"),
    Case("email-with-newline", plain("acmeEmail", "ops@example.com\nX: y"), "homelab-secrets:acmeEmail",
         "acmeEmail"),
    Case("bad-cidr", plain("sshSourceRanges", ["300.1.1.1/32"]), "homelab-secrets:sshSourceRanges",
         "sshSourceRanges[0]"),
    Case("retired-server-type", plain("serverType", "cx22"), "homelab-secrets:serverType", "cx23"),
    Case("unknown-location", plain("location", "mars1"), "homelab-secrets:location", "location"),
    Case("k8s-invalid-namespace", app(0, namespace="Monitoring_NS"), "homelab-secrets:apps[0].namespace", "apps[0]"),
    Case("k8s-invalid-name", app(1, name="n8n.app"), "homelab-secrets:apps[1].name", "apps[1]"),
    Case("k8s-invalid-target", app(0, target="Grafana Secret"), "homelab-secrets:apps[0].target", "apps[0]"),
    Case("duplicate-target", duplicate_target, "homelab-secrets:apps[2].target", "target"),
    Case("empty-key-map", app(0, keys={}), "homelab-secrets:apps[0].keys", "apps[0]"),
    Case("remote-key-with-dollar", app(0, keys={"A": "B$C"}), "homelab-secrets:apps[0].keys.A", "apps[0]"),
    Case("bad-interval", app(0, refreshInterval="1 hour"), "homelab-secrets:apps[0].refreshInterval", "apps[0]"),
    Case("infisical-resync-too-short", app(1, refreshInterval="2s"), "homelab-secrets:apps[1].refreshInterval",
         "apps[1]"),
    Case("unknown-operator", app(0, operator="vault"), "homelab-secrets:apps[0].operator", "apps[0]"),
    Case("missing-app-path", app(0, path=None), "homelab-secrets:apps[0].path", "apps[0]"),
    Case("public-key-without-private", plain("sshPublicKey", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + "A" * 43),
         "homelab-secrets:sshPrivateKey", "sshPrivateKey"),
    *(Case(f"empty-app-{field}", app(0, **{field: ""}), f"homelab-secrets:apps[0].{field}", "apps[0]")
      for field in ("name", "namespace", "target", "path", "refreshInterval", "operator")),
]


def problems_for(config: StackConfig) -> list[Problem]:
    settings, problems = validate(RawConfig(config.values, frozenset(config.secret_keys)), "test")
    assert settings is None or not problems
    return problems


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_bad_input_gives_one_clean_error(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    config = full_config()
    case.mutate(config)
    problems = problems_for(config)
    assert len(problems) == 1, [p.render() for p in problems]
    assert problems[0].key == case.key, problems[0].render()
    assert case.fix in problems[0].fix, problems[0].render()  # the fix line itself, not the key it follows
    assert problems[0].fix.startswith(("pulumi config ", "edit ")), "a command to run or an entry to edit"

    evaluation = run(config)
    assert evaluation.error is not None and case.key in evaluation.error
    assert evaluation.registrations == [], "nothing may be registered before the config is valid"
    assert "Traceback" not in evaluation.error

    assert run_check(config, "test") == EXIT_BAD_CONFIG
    captured = capsys.readouterr()
    assert case.key in captured.err and "Traceback" not in captured.err + captured.out


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 20


def test_all_problems_are_reported_at_once() -> None:
    config = full_config()
    for case in CASES[:6]:
        case.mutate(config)
    problems = problems_for(config)
    assert len(problems) == 6
    assert run(config).error is not None


@pytest.mark.parametrize("key", ["adminEmail", "bootstrapStageTimeout", "bifrostEnabled", "sshSourceRanges", "apps"])
def test_a_plain_setting_stored_encrypted_is_named_and_its_value_never_shown(key: str) -> None:
    config = full_config()
    hidden = "HIDDEN-VALUE-meant-to-be-secret"  # invalid for every one of these keys
    config.values[f"{PROJECT}:{key}"] = hidden
    config.secret_keys.add(f"{PROJECT}:{key}")
    problems = problems_for(config)
    assert [p.key for p in problems] == [f"{PROJECT}:{key}"], [p.render() for p in problems]
    assert "stored encrypted" in problems[0].message
    evaluation = run(config)
    assert evaluation.error is not None and hidden not in evaluation.error
    assert all(hidden not in p.render() for p in problems)


def test_secret_values_are_never_echoed_in_errors() -> None:
    config = full_config()
    secret("cloudflareApiToken", "SUPERSECRETVALUE\nX")(config)
    error = run(config).error or ""
    assert "SUPERSECRETVALUE" not in error


def test_valid_config_loads() -> None:
    assert problems_for(full_config()) == []
