"""Each rule on plain resources: a compliant one passes, each way of breaking it is reported."""

from __future__ import annotations

from typing import Any

import pytest

from policy import rules
from policy.values import Unknown, UnknownValue
from tests.policy.helpers import (
    COMMAND,
    COPY_TO_REMOTE,
    EXTERNAL_SECRET,
    RELEASE,
    SECRET,
    SERVER,
    bootstrap_secret,
    connection,
    copy_to_remote,
    external_secret,
    release,
    runner,
    server,
    writer,
)

# -- remote-file-write-silent ----------------------------------------------------------------------


def test_silent_file_writer_passes() -> None:
    assert rules.check_file_writing_command(COMMAND, writer()) == []


def test_command_that_writes_no_file_may_log() -> None:
    assert rules.check_file_writing_command(COMMAND, runner()) == []
    assert rules.check_file_writing_command(COMMAND, runner(logging="stdoutAndStderr")) == []


@pytest.mark.parametrize(("override", "expected"), [
    ({"logging": "stdoutAndStderr"}, "logging is 'stdoutAndStderr'"),
    ({"logging": None}, "logging is unset"),
    ({"addPreviousOutputInEnv": True}, "addPreviousOutputInEnv is True"),
    ({"addPreviousOutputInEnv": None}, "addPreviousOutputInEnv is unset"),
    ({"environment": {"TOKEN": "value"}}, "environment sets TOKEN"),
])
def test_file_writer_that_is_not_silent_is_reported(override: dict[str, Any], expected: str) -> None:
    props = {key: value for key, value in writer(**override).items() if value is not None}
    messages = rules.check_file_writing_command(COMMAND, props)
    assert len(messages) == 1
    assert expected in messages[0]
    assert "it reads stdin" in messages[0]


@pytest.mark.parametrize("script", [
    "umask 077; cat > /etc/bifrost/traefik.env",
    "printf '%s' x | tee /etc/bifrost/env/a.env > /dev/null",
    "mv /tmp/upload /etc/bifrost/netbird/config.yaml",
    "cd /etc/bifrost && echo ready > marker",
    "target=/etc/bifrost/.env\nmv -f \"$tmp\" \"$target\"",
])
def test_script_that_writes_under_etc_bifrost_counts_without_stdin(script: str) -> None:
    props = runner(create=script, logging="stdout")
    messages = rules.check_file_writing_command(COMMAND, props)
    assert messages and all("create writes /etc/bifrost" in message for message in messages)


def test_update_script_counts_too() -> None:
    props = runner(update="cat > /etc/bifrost/x", addPreviousOutputInEnv=False)
    assert any("update writes /etc/bifrost/x" in m for m in rules.check_file_writing_command(COMMAND, props))


def test_messages_never_quote_stdin_or_environment_values() -> None:
    props = writer(logging="stdout", stdin="CANARY-stdin-value", environment={"KEY": "CANARY-env-value"})
    text = "\n".join(rules.check_file_writing_command(COMMAND, props) + rules.check_command_environment(
        COMMAND, props))
    assert "CANARY" not in text
    assert "KEY" in text


def test_file_writer_rule_ignores_other_types() -> None:
    assert rules.check_file_writing_command(COPY_TO_REMOTE, writer(logging="stdout")) == []


def test_unknown_script_defers_only_when_nothing_else_decides() -> None:
    with pytest.raises(UnknownValue):
        rules.check_file_writing_command(COMMAND, runner(create=Unknown()))
    # stdin already makes it a writer, and the logging violation is certain: report it now.
    messages = rules.check_file_writing_command(COMMAND, writer(create=Unknown(), logging="stdout"))
    assert len(messages) == 1 and "logging" in messages[0]
    assert rules.check_file_writing_command(COMMAND, writer(create=Unknown(), stdin=Unknown())) == []


# -- remote-command-no-environment -----------------------------------------------------------------


def test_command_without_environment_passes() -> None:
    assert rules.check_command_environment(COMMAND, runner()) == []
    assert rules.check_command_environment(COMMAND, runner(environment={})) == []


def test_command_with_environment_is_reported() -> None:
    messages = rules.check_command_environment(COMMAND, runner(environment={"B": "2", "A": "1"}))
    assert len(messages) == 1
    assert messages[0].startswith("environment sets A, B")


def test_environment_rule_only_checks_commands() -> None:
    assert rules.check_command_environment(COPY_TO_REMOTE, copy_to_remote(environment={"A": "1"})) == []


def test_wholly_unknown_environment_is_deferred() -> None:
    with pytest.raises(UnknownValue):
        rules.check_command_environment(COMMAND, runner(environment=Unknown()))
    assert rules.check_command_environment(COMMAND, runner(environment={"A": Unknown()}))


# -- remote-connection-host-key --------------------------------------------------------------------


@pytest.mark.parametrize("resource_type", [COMMAND, COPY_TO_REMOTE, "command:remote:CopyFile"])
def test_pinned_host_key_passes(resource_type: str) -> None:
    assert rules.check_host_key_pinned(resource_type, runner()) == []


@pytest.mark.parametrize(("conn", "expected"), [
    ({"hostKey": None}, "connection.hostKey is unset"),
    ({"hostKey": ""}, "connection.hostKey is empty"),
    ({"hostKey": "   "}, "connection.hostKey is empty"),
    ({"proxy": {"host": "jump.example.com", "user": "ops"}}, "connection.proxy.hostKey is unset"),
    ({"proxy": {"host": "jump.example.com", "hostKey": ""}}, "connection.proxy.hostKey is empty"),
])
def test_unpinned_host_key_is_reported(conn: dict[str, Any], expected: str) -> None:
    props = copy_to_remote(connection={k: v for k, v in connection(**conn).items() if v is not None})
    messages = rules.check_host_key_pinned(COPY_TO_REMOTE, props)
    assert len(messages) == 1 and messages[0].startswith(expected)


def test_missing_connection_is_reported() -> None:
    assert rules.check_host_key_pinned(COMMAND, {"create": "true"})


def test_proxy_with_pinned_key_passes_and_unknown_host_key_counts_as_pinned() -> None:
    props = runner(connection=connection(hostKey=Unknown(), proxy={"host": "jump", "hostKey": "ssh-ed25519 A"}))
    assert rules.check_host_key_pinned(COMMAND, props) == []


# -- hcloud-server-protection ----------------------------------------------------------------------


def test_protected_server_passes() -> None:
    assert rules.check_server_protection(SERVER, server()) == []


@pytest.mark.parametrize(("override", "count"), [
    ({"deleteProtection": False}, 1),
    ({"rebuildProtection": None}, 1),
    ({"deleteProtection": "true"}, 1),
    ({"deleteProtection": False, "rebuildProtection": False}, 2),
])
def test_unprotected_server_is_reported(override: dict[str, Any], count: int) -> None:
    props = {key: value for key, value in server(**override).items() if value is not None}
    assert len(rules.check_server_protection(SERVER, props)) == count


def test_unknown_protection_is_deferred() -> None:
    with pytest.raises(UnknownValue):
        rules.check_server_protection(SERVER, server(deleteProtection=Unknown()))


# -- external-secrets-api-v1 -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ExternalSecret", "ClusterSecretStore", "SecretStore"])
def test_external_secrets_v1_passes(kind: str) -> None:
    props = {**external_secret(), "kind": kind}
    assert rules.check_external_secrets_api(f"kubernetes:external-secrets.io/v1:{kind}", props) == []


def test_external_secrets_v1beta1_type_is_reported() -> None:
    props = external_secret("external-secrets.io/v1beta1")
    messages = rules.check_external_secrets_api("kubernetes:external-secrets.io/v1beta1:ExternalSecret", props)
    assert len(messages) == 2
    assert "external-secrets.io/v1beta1" in messages[0]


def test_external_secrets_api_version_prop_mismatch_is_reported() -> None:
    messages = rules.check_external_secrets_api(EXTERNAL_SECRET, external_secret("external-secrets.io/v1beta1"))
    assert messages == ["apiVersion is 'external-secrets.io/v1beta1': use 'external-secrets.io/v1'"]


def test_other_external_secrets_kinds_and_groups_are_not_checked() -> None:
    assert not rules.is_external_secrets_type("kubernetes:external-secrets.io/v1alpha1:PushSecret")
    assert not rules.is_external_secrets_type("kubernetes:secrets.infisical.com/v1alpha1:InfisicalSecret")
    assert rules.is_external_secrets_type("kubernetes:external-secrets.io/v1beta1:SecretStore")


# -- helm-chart-version-pinned ---------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.9.0", "v0.11.5", "1.0.0-rc.1", "1.2.3+build.7"])
def test_exact_chart_version_passes(version: str) -> None:
    assert rules.check_helm_version_pinned(RELEASE, release(version=version)) == []


@pytest.mark.parametrize("version", [None, "", "^1", "~1.2.3", ">=1.0.0", "*", "1.x", "1.2.x", "1.2", "1",
                                     "latest", ">1.0.0 <2.0.0", "1.0.0 || 2.0.0", "=1.2.3"])
def test_unpinned_chart_version_is_reported(version: str | None) -> None:
    props = {key: value for key, value in release(version=version).items() if value is not None}
    messages = rules.check_helm_version_pinned(RELEASE, props)
    assert len(messages) == 1
    assert messages[0].startswith("external-secrets from https://charts.external-secrets.io: version")


def test_helm_v4_chart_is_checked_too() -> None:
    assert rules.check_helm_version_pinned("kubernetes:helm.sh/v4:Chart", release(version="^2"))


# -- bootstrap-secret-no-prune ---------------------------------------------------------------------


@pytest.mark.parametrize("options", ["Prune=false", "ServerSideApply=true, Prune=false"])
def test_bootstrap_secret_with_prune_false_passes(options: str) -> None:
    props = bootstrap_secret({"argocd.argoproj.io/sync-options": options})
    assert rules.check_bootstrap_secret_prune(SECRET, props) == []


@pytest.mark.parametrize("annotations", [
    {}, {"argocd.argoproj.io/sync-options": "Prune=true"}, {"argocd.argoproj.io/sync-options": "Prune=False"},
    {"argocd.argoproj.io/compare-options": "Prune=false"},
])
def test_bootstrap_secret_without_prune_false_is_reported(annotations: dict[str, str]) -> None:
    messages = rules.check_bootstrap_secret_prune(SECRET, bootstrap_secret(annotations))
    assert len(messages) == 1
    assert "0123456789abcdef" not in messages[0]


def test_secret_without_bootstrap_label_is_not_checked() -> None:
    assert rules.check_bootstrap_secret_prune(SECRET, bootstrap_secret({}, bootstrap=None)) == []
    assert rules.check_bootstrap_secret_prune(SECRET, bootstrap_secret({}, bootstrap="false")) == []


def test_unknown_labels_are_deferred() -> None:
    props = bootstrap_secret()
    props["metadata"]["labels"] = Unknown()
    with pytest.raises(UnknownValue):
        rules.check_bootstrap_secret_prune(SECRET, props)


# -- the registry ----------------------------------------------------------------------------------


def test_every_rule_has_a_unique_name_and_checks_only_its_types() -> None:
    names = [rule.name for rule in rules.RULES]
    assert len(names) == len(set(names)) == 9
    for rule in rules.RULES:
        assert rule.check("random:index/randomPassword:RandomPassword", {"length": 32}) == []
        assert not rule.applies("random:index/randomPassword:RandomPassword")


def test_violations_groups_messages_by_policy() -> None:
    found = rules.violations(COMMAND, writer(logging="stdout", environment={"A": "1"}, connection={}))
    assert set(found) == {"remote-file-write-silent", "remote-command-no-environment", "remote-connection-host-key"}
