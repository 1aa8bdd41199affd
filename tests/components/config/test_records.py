"""Secret records carry their behaviour: a fixed state name, the data-key guard, the settings that require them."""

from __future__ import annotations

import dataclasses
import re

import pytest

from components import bootstrap_secrets
from components.bifrost import render, scripts
from components.bifrost.render import RenderedFile
from components.config.load import load
from components.config.raw import RawConfig
from components.secrets_registry import NETBIRD_STORE_KEY, SECRETS, SecretSpec
from tests.conftest import full_config
from verify.evaluate import Evaluation, evaluate

GENERATOR_TYPES = ("random:index/randomPassword:RandomPassword", "random:index/randomBytes:RandomBytes",
                   "tls:index/privateKey:PrivateKey")
# The names the generated secrets have in existing state: changing one regenerates that secret.
STATE_NAMES = {
    "netbird_store_key": "netbirdStoreKey", "netbird_relay_secret": "netbirdRelaySecret",
    "netbird_owner_password_hash": "netbirdOwnerPasswordHash", "authentik_secret_key": "authentikSecretKey",
    "authentik_postgres_password": "authentikPostgresPassword",
    "authentik_bootstrap_token": "authentikBootstrapToken",
    "authentik_bootstrap_password": "authentikBootstrapPassword", "authentik_api_token": "authentikApiToken",
    "ssh_host_key": "sshHostPrivateKey", "ssh_deploy_key": "sshPrivateKey",
    "infisical_encryption_key": "infisicalEncryptionKey", "infisical_auth_secret": "infisicalAuthSecret",
    "infisical_postgres_password": "infisicalPostgresPassword", "infisical_redis_password": "infisicalRedisPassword",
    "infisical_admin_password": "infisicalAdminPassword", "argocd_oidc_client_secret": "argocdOidcClientSecret",
    "grafana_oauth_client_secret": "grafanaOauthClientSecret",
}


def test_every_generated_secret_keeps_its_state_name() -> None:
    assert {spec.name: spec.state_name for spec in SECRETS if spec.generated} == STATE_NAMES


def test_a_generated_secret_without_a_state_name_is_refused() -> None:
    with pytest.raises(ValueError, match="state_name"):
        dataclasses.replace(NETBIRD_STORE_KEY, state_name="")


def test_the_generated_resources_are_named_by_state_name(full_evaluation: Evaluation) -> None:
    generated = {r.name for r in full_evaluation.registrations if r.type in GENERATOR_TYPES
                 and r.parent.endswith("bootstrap-secrets")}
    assert generated == {spec.state_name for spec in SECRETS if spec.generated}


def test_renaming_a_config_key_leaves_the_resource_name(monkeypatch: pytest.MonkeyPatch) -> None:
    renamed = dataclasses.replace(NETBIRD_STORE_KEY, config_key="netbirdDataStoreKey")
    registry = tuple(renamed if spec is NETBIRD_STORE_KEY else spec for spec in SECRETS)
    monkeypatch.setattr(bootstrap_secrets, "SECRETS", registry)
    config = full_config()
    settings = load(RawConfig(config.values, frozenset(config.secret_keys)), "test")
    settings = dataclasses.replace(settings, generations={**settings.generations, renamed: 0})

    def program() -> None:
        bootstrap_secrets.BootstrapSecrets("bootstrap-secrets", settings)

    evaluation = evaluate(config.values, config.secret_keys, config.canaries, program=program)
    assert evaluation.error is None and evaluation.crash is None, evaluation.error or evaluation.crash
    names = {r.name for r in evaluation.registrations if r.type in GENERATOR_TYPES}
    assert NETBIRD_STORE_KEY.state_name in names
    assert "netbirdDataStoreKey" not in names


def _uploads(evaluation: Evaluation) -> dict[str, str]:
    return {r.name: str(r.inputs.get("create", "")) for r in evaluation.registrations
            if r.type == "command:remote:Command" and "-file-" in r.name}


def test_the_data_key_guard_follows_guards_data(full_evaluation: Evaluation) -> None:
    guarded = {f"bifrost-files-file-{rendered.slug}" for rendered in render.SECRET_FILES if rendered.guards_data}
    assert guarded == {"bifrost-files-file-netbird-configyaml"}
    scripts_by_name = _uploads(full_evaluation)
    marker = "refusing to replace"
    assert {name for name, script in scripts_by_name.items() if marker in script} == guarded


def test_a_file_is_guarded_exactly_when_it_holds_a_data_key() -> None:
    unguarded = dataclasses.replace(NETBIRD_STORE_KEY, guards_data=False)
    assert render.NETBIRD_CONFIG.guards_data
    assert not dataclasses.replace(render.NETBIRD_CONFIG, secrets=(unguarded,)).guards_data


def _values(rendered: RenderedFile) -> dict[SecretSpec, str]:
    return {spec: f"value-of-{spec.config_key}" for spec in rendered.secrets}


def test_the_guard_finds_the_data_key_in_every_guarded_file() -> None:
    """The guard compares the file's encryptionKey line: a guarded file must have one, holding the key."""
    from tests.components.bifrost.test_render import SETTINGS

    line = re.compile(r"^\s+encryptionKey:(.*)$", re.MULTILINE)
    assert "encryptionKey:" in scripts.write_file("x", guard_store_key=True)
    for rendered in render.SECRET_FILES:
        if not rendered.guards_data:
            continue
        values = _values(rendered)
        match = line.search(rendered.render(SETTINGS, values))
        assert match is not None, rendered.path
        assert any(values[spec] in match.group(1) for spec in rendered.secrets if spec.guards_data)


def test_secrets_required_by_a_setting_name_it_on_their_record() -> None:
    paired = {spec.config_key: spec.required_with for spec in SECRETS if spec.required_with}
    assert paired == {"sshPrivateKey": "sshPublicKey", "authentikGithubSecret": "githubOauthClientId"}


def test_operator_outputs_are_declared_on_the_records(base_evaluation: Evaluation) -> None:
    declared = {spec.operator_output for spec in SECRETS if spec.operator_output}
    assert declared == {"netbirdOwnerPassword", "authentikAdminPassword", "bifrostDeployKey", "infisicalAdminPassword"}
    assert declared <= set(base_evaluation.stack_outputs)
