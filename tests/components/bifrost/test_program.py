"""The Bifrost VPS under the mock harness: resource graph, pinning, secrecy, determinism, stability."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.bifrost import render
from components.secrets_registry import BY_KEY, SECRETS, Scope
from tests.conftest import full_config, run, shared_run
from verify import canaries
from verify.evaluate import Evaluation
from verify.leaks import find_leaks
from verify.mocks import Registration, is_secret_marker, unwrap

COMMAND = "command:remote:Command"
COPY = "command:remote:CopyToRemote"


def remote(evaluation: Evaluation) -> list[Registration]:
    return [r for r in evaluation.registrations if r.type in (COMMAND, COPY)]


def file_writers(evaluation: Evaluation) -> list[Registration]:
    return [r for r in evaluation.by_type(COMMAND) if "-file-" in r.name]


def inputs_by_name(evaluation: Evaluation) -> dict[str, Any]:
    return {f"{r.type}::{r.name}": unwrap(r.inputs) for r in evaluation.registrations}


def changed(before: Evaluation, after: Evaluation) -> set[str]:
    old, new = inputs_by_name(before), inputs_by_name(after)
    assert old.keys() == new.keys()
    return {key.split("::", 1)[1] for key in old if old[key] != new[key]}


def test_bootstrap_depends_on_every_upload(full_evaluation: Evaluation) -> None:
    bootstrap = full_evaluation.one(COMMAND, "bifrost-files-bootstrap")
    uploads = [r for r in remote(full_evaluation) if "-file-" in r.name or r.type == COPY]
    # + the compose .env, the blueprint, the list of rendered files
    assert len(file_writers(full_evaluation)) == len(render.SECRET_FILES) + 3
    assert uploads
    missing = [r.name for r in uploads if r.urn not in bootstrap.all_dependencies()]
    assert missing == []


def test_every_static_file_is_copied(full_evaluation: Evaluation) -> None:
    from components.bifrost.delivery import STATIC_DIR, static_files

    copied = {unwrap(r.inputs)["remotePath"] for r in full_evaluation.by_type(COPY)}
    expected = {f"/etc/bifrost/{p.relative_to(STATIC_DIR).as_posix()}" for p in static_files()}
    assert copied == expected


def test_every_connection_pins_the_host_key(full_evaluation: Evaluation) -> None:
    host_key_output = unwrap(full_evaluation.stack_outputs["bifrostKnownHosts"]).split(" ", 1)[1]
    commands = remote(full_evaluation)
    assert commands
    for registration in commands:
        connection = unwrap(registration.inputs["connection"])
        assert connection["hostKey"] == host_key_output, registration.name
        assert connection["hostKey"].startswith("ssh-ed25519 ")
        assert connection["user"] == "root"


def test_file_writers_read_stdin_log_nothing_and_keep_output_secret(full_evaluation: Evaluation) -> None:
    for registration in file_writers(full_evaluation):
        inputs = registration.inputs
        assert inputs["logging"] == "none", registration.name
        assert inputs["addPreviousOutputInEnv"] is False
        assert "environment" not in inputs
        assert set(registration.options.get("additionalSecretOutputs", [])) >= {"stdout", "stderr"}
        create = inputs["create"]
        assert isinstance(create, str), "the script itself is plain text and carries no secret"
        assert 'cat > "$tmp"' in create and "umask 077" in create and 'mv -f "$tmp" "$target"' in create
        assert "echo" not in create.replace('echo "refusing', "")


def test_no_remote_command_has_an_environment(full_evaluation: Evaluation) -> None:
    for registration in remote(full_evaluation):
        assert "environment" not in registration.inputs, registration.name


def test_secret_files_travel_as_secret_stdin(full_evaluation: Evaluation) -> None:
    for registration in file_writers(full_evaluation):
        stdin = registration.inputs["stdin"]
        if "netbird-proxy" in registration.name or "netbird-agent" in registration.name:
            continue  # optional: set in the full config, checked below
        if registration.name == "bifrost-files-file-rendered-files":
            assert stdin == render.rendered_list()  # the list of paths, no secret
            continue
        assert is_secret_marker(stdin), registration.name


def test_bootstrap_triggers_are_secret_digests(full_evaluation: Evaluation) -> None:
    bootstrap = full_evaluation.one(COMMAND, "bifrost-files-bootstrap")
    triggers = bootstrap.inputs["triggers"]
    secret_triggers = [t for t in triggers if is_secret_marker(t)]
    # + the compose .env, the blueprint, the list of rendered files
    assert len(secret_triggers) == len(render.SECRET_FILES) + 3
    for trigger in secret_triggers:
        assert len(unwrap(trigger)) == 64
    assert bootstrap.inputs["create"] == "bash /etc/bifrost/bootstrap.sh --stage-timeout 300"


def test_firewall_opens_exactly_the_listed_ports(full_evaluation: Evaluation) -> None:
    firewall = full_evaluation.one("hcloud:index/firewall:Firewall", "bifrost-firewall")
    rules = {(r["direction"], r["protocol"], r["port"], tuple(r["sourceIps"])) for r in firewall.inputs["rules"]}
    world = ("0.0.0.0/0", "::/0")
    assert rules == {
        ("in", "tcp", "80", world), ("in", "tcp", "443", world), ("in", "udp", "3478", world),
        ("in", "tcp", "22", ("198.51.100.7/32",)),
    }


def test_server_is_protected_and_uses_the_primary_ip(full_evaluation: Evaluation) -> None:
    server = full_evaluation.one("hcloud:index/server:Server", "bifrost")
    primary_ip = full_evaluation.one("hcloud:index/primaryIp:PrimaryIp", "bifrost-ipv4")
    inputs = server.inputs
    assert inputs["deleteProtection"] is True and inputs["rebuildProtection"] is True
    assert inputs["serverType"] == "cx23" and inputs["image"] == "ubuntu-24.04"
    assert inputs["publicNets"][0]["ipv4"] == 424242  # the mock's id of the primary IP
    assert is_secret_marker(inputs["userData"])
    assert server.options.get("ignoreChanges") == ["userData", "sshKeys", "image", "location"]
    assert server.options.get("deleteBeforeReplace") is True
    assert primary_ip.inputs["autoDelete"] is False and primary_ip.options.get("protect") is True


def test_replace_mode_applies_user_data_and_lifts_protection() -> None:
    config = full_config()
    config.set("serverReplacement", "replace")
    server = run(config).one("hcloud:index/server:Server", "bifrost")
    assert server.inputs["deleteProtection"] is False
    assert not server.options.get("ignoreChanges")


def test_hcloud_provider_is_explicit_with_a_secret_token(full_evaluation: Evaluation) -> None:
    provider = full_evaluation.one("pulumi:providers:hcloud", "hcloud")
    assert is_secret_marker(provider.inputs["token"])
    server = full_evaluation.one("hcloud:index/server:Server", "bifrost")
    assert server.options["provider"].startswith(provider.urn)


def test_every_vps_secret_is_canaried_and_none_leaks(overridden_evaluation: Evaluation) -> None:
    labels = {c.label for c in overridden_evaluation.canaries}
    for spec in SECRETS:
        # The deploy key is overridden only with its sshPublicKey (required_with): the run leaves it out.
        if spec.scope in (Scope.BIFROST, Scope.BOTH) and not (spec.generated and spec.required_with):
            assert spec.config_key in labels
    assert find_leaks(overridden_evaluation) == []


def test_no_canary_in_create_strings_or_plain_triggers(overridden_evaluation: Evaluation) -> None:
    markers = [c.marker for c in overridden_evaluation.canaries]
    for registration in remote(overridden_evaluation):
        create = registration.inputs.get("create", "")
        assert isinstance(create, str)
        assert not any(m in create for m in markers), registration.name
        for trigger in registration.inputs.get("triggers", []):
            assert is_secret_marker(trigger) or not any(m in str(trigger) for m in markers)


def test_two_evaluations_are_identical(full_evaluation: Evaluation, repeated_evaluation: Evaluation) -> None:
    assert inputs_by_name(full_evaluation) == inputs_by_name(repeated_evaluation)


def _user_data(evaluation: Evaluation) -> str:
    return str(unwrap(evaluation.one("hcloud:index/server:Server", "bifrost").inputs["userData"]))


def test_catalog_and_secret_changes_leave_user_data_alone() -> None:
    base = shared_run(full_config())
    config = full_config()
    config.set("apps", [{"name": "x", "namespace": "x", "target": "x", "path": "/", "keys": {"A": "B"}}])
    config.set_secret(BY_KEY["cloudflareApiToken"], canaries.Canary("other", "other-token-" + "a" * 30,
                                                                     "other-token-" + "a" * 30))
    config.set("bootstrapStageTimeout", 120)
    assert _user_data(run(config)) == _user_data(base)


def _bifrost_changes(before: Evaluation, after: Evaluation) -> set[str]:
    return {name for name in changed(before, after) if name.startswith("bifrost")}


def test_changing_a_secret_changes_its_file_and_the_bootstrap_trigger_only() -> None:
    base_config = full_config(include_generated=True)
    base = shared_run(base_config)
    config = base_config.copy()
    other = "Other" + "x" * 30
    config.set_secret(BY_KEY["authentikBootstrapPassword"], canaries.Canary("p2", other, other))
    assert _bifrost_changes(base, run(config)) == {"bifrost-files-file-env-authentik-workerenv",
                                                   "bifrost-files-bootstrap"}


def test_netbird_config_change_also_updates_the_compose_env_digest() -> None:
    base_config = full_config(include_generated=True)
    base = shared_run(base_config)
    config = base_config.copy()
    config.set_secret(BY_KEY["netbirdRelaySecret"], canaries.base64_bytes("relay-2", 32))
    # The compose .env carries NETBIRD_CONFIG_DIGEST so that compose recreates netbird-server.
    assert _bifrost_changes(base, run(config)) == {"bifrost-files-file-netbird-configyaml",
                                                   "bifrost-files-file-dotenv", "bifrost-files-bootstrap"}


def test_optional_files_are_empty_until_their_secret_is_set() -> None:
    from tests.conftest import base_config

    evaluation = shared_run(base_config())
    for slug in ("env-netbird-proxyenv", "env-netbird-agentenv"):
        assert evaluation.one(COMMAND, f"bifrost-files-file-{slug}").inputs["stdin"] == ""
    steps = evaluation.stack_outputs["pendingSteps"]
    # The proxy token is issued on the VPS by bootstrap.sh; only the setup key waits for a person.
    assert not any("homelab-secrets:netbirdProxyToken" in step for step in steps)
    assert any("homelab-secrets:netbirdSetupKey" in step and "netbirdio/netbird#5898" in step for step in steps)
    assert any("homelab-secrets:netbirdSetupKey" in step for step in steps)


def test_stack_outputs_hold_no_plain_secret(full_evaluation: Evaluation, overridden_evaluation: Evaluation,
                                            base_evaluation: Evaluation) -> None:
    outputs = full_evaluation.stack_outputs
    assert {"bifrostIpv4", "bifrostIpv6", "bifrostHosts", "bifrostSsh", "pendingSteps"} <= outputs.keys()
    assert outputs["bifrostIpv4"] == "203.0.113.10"
    # First passwords and the generated deploy key are exported, encrypted, only while generated (the first
    # deploy: the provisioner Job bootstraps Infisical with its admin's password).
    handed_out = [spec for spec in SECRETS if spec.operator_output]
    for spec in handed_out:
        assert is_secret_marker(base_evaluation.stack_outputs[spec.operator_output]), spec.operator_output
    supplied = full_config(include_generated=True).secret_keys
    assert {spec.full_key for spec in handed_out} & supplied, "the overridden stack supplies some of them"
    # Both stacks below supply the machine identity: no Job runs, so the Infisical admin's password signs in to
    # nothing and is not handed out.
    for spec in handed_out:
        exported = spec.full_key not in supplied and spec.scope is not Scope.CLUSTER
        assert (spec.operator_output in overridden_evaluation.stack_outputs) is exported, spec.operator_output
    assert "infisicalAdminPassword" not in outputs


@pytest.mark.skipif(shutil.which("cloud-init") is None,
                    reason="cloud-init is not installed (Debian package cloud-init; .ci/run installs it)")
def test_rendered_user_data_passes_the_cloud_init_schema(full_evaluation: Evaluation, tmp_path: Path) -> None:
    user_data = tmp_path / "user-data.yaml"
    user_data.write_text(_user_data(full_evaluation))
    result = subprocess.run(["cloud-init", "schema", "--config-file", str(user_data)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid" in result.stdout and "deprecat" not in (result.stdout + result.stderr).lower()


def test_the_bootstrap_log_is_shown_but_kept_encrypted_in_the_state(full_evaluation: Evaluation) -> None:
    bootstrap = full_evaluation.one(COMMAND, "bifrost-files-bootstrap")
    assert {"stderr", "stdout"} <= set(bootstrap.options.get("additionalSecretOutputs", []))
    assert is_secret_marker(bootstrap.outputs["stdout"]) and is_secret_marker(bootstrap.outputs["stderr"])
    assert "logging" not in bootstrap.inputs  # the default: pulumi up shows the (redacted) log
