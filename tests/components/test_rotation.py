"""Rotation: each counter regenerates exactly its secret and reaches exactly its consumers; guards hold."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components.bifrost.cloud_init import BIFROST_DIR
from components.bifrost.scripts import EXIT_KEY_CHANGE_REFUSED
from components.secrets_registry import BY_KEY, SECRETS
from tests.conftest import full_config, run
from verify import PROJECT_ROOT, canaries
from verify.evaluate import Evaluation, evaluate
from verify.leaks import find_leaks
from verify.mocks import Registration, is_secret_marker, unwrap
from verify.stackconfig import StackConfig

NETBIRD_FILES = {"bifrost-files-file-netbird-configyaml", "bifrost-files-file-dotenv", "bifrost-files-bootstrap"}
WORKER = {"bifrost-files-file-env-authentik-workerenv", "bifrost-files-bootstrap"}

# What bumping each generation counter may change, besides the generating resource itself.
EXPECTED: dict[str, set[str]] = {
    "netbirdStoreKey": NETBIRD_FILES,
    "netbirdRelaySecret": NETBIRD_FILES,
    "netbirdOwnerPasswordHash": NETBIRD_FILES,
    "authentikSecretKey": {"bifrost-files-file-env-authentikenv", *WORKER},
    "authentikPostgresPassword": {"bifrost-files-file-env-authentik-postgresenv",
                                  "bifrost-files-file-env-authentikenv", *WORKER},
    "authentikBootstrapToken": WORKER,
    "authentikBootstrapPassword": WORKER,
    "authentikApiToken": WORKER,
    # Authentik reads each client secret through the worker's env and re-applies the blueprint, whose keyed
    # digest of the client secrets changes; Argo CD reads its copy from the argocd-oidc Secret.
    "argocdOidcClientSecret": {*WORKER, "bifrost-files-file-authentik-blueprint", "argocd-argocd-oidc"},
    # Declared in Authentik only with grafanaHost, which the test stack does not set: nothing else changes.
    "grafanaOauthClientSecret": set(),
    # Every connection pins the host key / uses the deploy key, so every remote step re-runs; the server's
    # own change (user_data, SSH keys) is ignored unless serverReplacement is `replace`.
    "sshHostPrivateKey": {"Server/bifrost", "<every remote command>"},
    "sshPrivateKey": {"Server/bifrost", "bifrost-deploy", "<every remote command>"},
    "infisicalEncryptionKey": {"infisical-encryption-key-guard", "infisical-infisical-secrets", "Release/infisical"},
    "infisicalAuthSecret": {"infisical-infisical-secrets", "Release/infisical"},
    # The database owner's password: CloudNativePG sets it from the initdb Secret; Infisical's pods roll on the
    # digest of their env Secret, which holds the connection string.
    "infisicalPostgresPassword": {"infisical-infisical-secrets", "infisical-infisical-db-credentials",
                                  "Release/infisical"},
    # Valkey writes its ACL file at pod start: both it and Infisical roll on their Secrets' digests.
    "infisicalRedisPassword": {"infisical-infisical-secrets", "infisical-infisical-valkey-users", "Release/infisical",
                               "valkey"},
    # Read once, by the infisical-bootstrap Job at instance bootstrap; not wired into the cluster side yet.
    "infisicalAdminPassword": set(),
}


def label(registration: Registration, evaluation: Evaluation) -> str:
    """The resource's name, qualified by its kind where two resources share it (e.g. Release/infisical)."""
    shared = sum(1 for r in evaluation.registrations if r.name == registration.name) > 1
    return f"{registration.type.rsplit(':', 1)[-1]}/{registration.name}" if shared else registration.name


def footprint(evaluation: Evaluation) -> dict[str, Any]:
    """What the engine diffs: inputs, plus the replacement trigger option."""
    return {
        label(r, evaluation): (unwrap(r.inputs), r.options.get("replacementTrigger"))
        for r in evaluation.registrations
    }


def changed(before: Evaluation, after: Evaluation) -> set[str]:
    old, new = footprint(before), footprint(after)
    assert old.keys() == new.keys(), "a rotation neither adds nor removes resources"
    return {name for name in old if old[name] != new[name]}


def expand(expected: set[str], evaluation: Evaluation) -> set[str]:
    if "<every remote command>" not in expected:
        return expected
    remote = {r.name for r in evaluation.registrations if r.type.startswith("command:remote:")}
    return (expected - {"<every remote command>"}) | remote


@pytest.fixture(scope="module")
def baseline(full_evaluation: Evaluation) -> tuple[StackConfig, Evaluation]:
    return full_config(), full_evaluation


@functools.cache
def bumped(key: str) -> Evaluation:
    """The evaluation after bumping one generation counter (shared by the tests that need the same one)."""
    config = full_config()
    config.set(BY_KEY[key].generation_key, 1)
    return run(config)


def test_the_table_covers_every_generated_secret() -> None:
    assert set(EXPECTED) == {s.config_key for s in SECRETS if s.generated}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_bumping_a_counter_regenerates_exactly_that_secret(key: str,
                                                           baseline: tuple[StackConfig, Evaluation]) -> None:
    _, before = baseline
    after = bumped(key)
    assert after.error is None, after.error
    assert changed(before, after) == expand(EXPECTED[key], after) | {key}
    assert find_leaks(after) == []
    old_canaries = {c.value for c in before.canaries}
    regenerated = [c for c in after.canaries if c.label.split("::")[-1].startswith(key + "@")]
    assert regenerated and all(c.value not in old_canaries for c in regenerated)


def test_rotating_the_machine_identity_reaches_both_operators_and_nothing_else(
        baseline: tuple[StackConfig, Evaluation]) -> None:
    """ESO objects get a new credentials digest (ESO re-syncs on an annotation change and re-reads credentials on
    every reconcile). The Infisical operator's copy is a new Secret (versioned name), so the InfisicalAuth's
    refs change: its controller drops the cached login when its spec changes, and every InfisicalStaticSecret
    watching it re-syncs. Nothing else changes."""
    config, before = baseline
    rotated = config.copy()
    rotated.set_secret(BY_KEY["machineIdentityClientSecret"], canaries.Canary("rotated", "rotated-" + "b" * 40,
                                                                              "rotated-" + "b" * 40))
    after = run(rotated)
    eso = [r for r in after.registrations if r.type.startswith("kubernetes:external-secrets.io")]
    (auth,) = after.by_type("kubernetes:secrets.infisical.com/v1beta1:InfisicalAuth")
    identities = [r for r in after.registrations if r.type == "kubernetes:core/v1:Secret"
                  and r.inputs["metadata"]["name"].startswith(("infisical-machine-identity",
                                                               "infisical-operator-identity"))]
    assert eso and len(identities) == 2
    assert changed(before, after) == {label(r, after) for r in [*eso, *identities, auth]}
    for registration in eso:
        annotation = registration.inputs["metadata"]["annotations"]["homelab-secrets.io/credentials-digest"]
        assert is_secret_marker(annotation), "a keyed digest, kept secret"

    def operator_secret(evaluation: Evaluation) -> str:
        (secret,) = [r for r in evaluation.registrations if r.type == "kubernetes:core/v1:Secret"
                     and r.inputs["metadata"]["name"].startswith("infisical-operator-identity-")]
        name: str = secret.inputs["metadata"]["name"]
        (auth_now,) = evaluation.by_type("kubernetes:secrets.infisical.com/v1beta1:InfisicalAuth")
        refs = auth_now.inputs["spec"]["universal"]
        assert refs["clientIdRef"]["name"] == refs["clientSecretRef"]["name"] == name
        return name

    assert operator_secret(after) != operator_secret(before)


def test_no_change_means_no_new_annotation(baseline: tuple[StackConfig, Evaluation],
                                           repeated_evaluation: Evaluation) -> None:
    _, before = baseline
    assert changed(before, repeated_evaluation) == set()


def _with_prior(config: StackConfig, prior: Evaluation) -> Evaluation:
    return evaluate(config.values, config.secret_keys, config.canaries, prior=prior)


def test_infisical_encryption_key_change_is_refused_without_the_override(
        baseline: tuple[StackConfig, Evaluation]) -> None:
    config, before = baseline
    rotated = config.copy()
    rotated.set(BY_KEY["infisicalEncryptionKey"].generation_key, 1)
    after = _with_prior(rotated, before)
    assert len(after.engine_errors) == 1
    assert "infisical-encryption-key-guard" in after.engine_errors[0]
    assert "marked for protection" in after.engine_errors[0]


def test_infisical_encryption_key_change_passes_with_the_override(
        baseline: tuple[StackConfig, Evaluation]) -> None:
    config, before = baseline
    rotated = config.copy()
    rotated.set(BY_KEY["infisicalEncryptionKey"].generation_key, 1)
    rotated.set("allowDataKeyChange", True)
    assert _with_prior(rotated, before).engine_errors == []


def test_other_rotations_do_not_trip_the_guard(baseline: tuple[StackConfig, Evaluation]) -> None:
    config, before = baseline
    rotated = config.copy()
    rotated.set(BY_KEY["infisicalAuthSecret"].generation_key, 1)
    assert _with_prior(rotated, before).engine_errors == []


def _netbird_writer(evaluation: Evaluation) -> tuple[str, str]:
    writer = evaluation.one("command:remote:Command", "bifrost-files-file-netbird-configyaml")
    return writer.inputs["create"], unwrap(writer.inputs["stdin"])


@pytest.mark.parametrize("override", [False, True])
def test_vps_store_key_guard_through_the_real_upload_command(override: bool, tmp_path: Path,
                                                             baseline: tuple[StackConfig, Evaluation]) -> None:
    config, before = baseline
    if override:
        rotated = config.copy()
        rotated.set(BY_KEY["netbirdStoreKey"].generation_key, 1)
        rotated.set("allowDataKeyChange", True)
        after = run(rotated)
    else:
        after = bumped("netbirdStoreKey")  # the override is off by default

    def upload(script: str, content: str) -> subprocess.CompletedProcess[str]:
        # The exact script the remote command runs, pointed at a scratch copy of /etc/bifrost.
        local = script.replace(BIFROST_DIR, str(tmp_path / "bifrost"))
        return subprocess.run(["bash", "-c", local], input=content, capture_output=True, text=True, check=False)

    assert upload(*_netbird_writer(before)).returncode == 0
    result = upload(*_netbird_writer(after))
    stored = (tmp_path / "bifrost" / "netbird" / "config.yaml").read_text()
    if override:
        assert result.returncode == 0 and stored == _netbird_writer(after)[1]
    else:
        assert result.returncode == EXIT_KEY_CHANGE_REFUSED
        assert "refusing to replace the NetBird store encryption key" in result.stderr
        assert stored == _netbird_writer(before)[1], "the old key is kept"
        assert not any(c.marker in result.stderr for c in after.canaries)


def test_rotation_status_output_holds_no_value(baseline: tuple[StackConfig, Evaluation]) -> None:
    _, evaluation = baseline
    status = evaluation.stack_outputs["rotationStatus"]
    assert status["netbirdRelaySecret"] == {"source": "generated", "generation": 0, "rotatable": True}
    assert status["cloudflareApiToken"] == {"source": "supplied", "rotatable": True}
    assert status["infisicalEncryptionKey"]["rotatable"] is False
    allowed = {"source", "generation", "rotatable"}
    assert all(set(entry) <= allowed for entry in status.values())


def test_inputs_are_the_same_in_another_process_with_another_hash_seed(full_evaluation: Evaluation) -> None:
    script = (
        "import json, sys\n"
        "from tests.conftest import full_config, run\n"
        "from verify.mocks import unwrap\n"
        "e = run(full_config())\n"
        "json.dump({r.type + '::' + r.name: unwrap(r.inputs) for r in e.registrations}, sys.stdout, sort_keys=True)\n"
        "from verify.process_exit import exit_now\n"
        "exit_now(0)\n"  # as `python -m verify` ends: no teardown of the evaluation
    )
    # This process hashes with a random seed unless PYTHONHASHSEED fixes it: the child always uses another.
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    env = dict(os.environ, PYTHONHASHSEED=seed)
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            text=True, check=True, timeout=300)
    here = json.loads(json.dumps({r.type + "::" + r.name: unwrap(r.inputs) for r in full_evaluation.registrations}))
    assert json.loads(result.stdout) == here


def test_no_input_carries_a_timestamp(baseline: tuple[StackConfig, Evaluation]) -> None:
    _, evaluation = baseline
    stamp = re.compile(r"\b20\d\d-[01]\d-[0-3]\dT[0-2]\d:|\$\(date\b")
    for registration in evaluation.registrations:
        text = json.dumps(unwrap(registration.inputs))
        assert not stamp.search(text), registration.name
