"""The real program under mocks: no canary of any secret appears outside a secret marker."""

from __future__ import annotations

import dataclasses
import json

import pytest

from components.secrets_registry import (
    MACHINE_IDENTITY_CLIENT_ID,
    MACHINE_IDENTITY_CLIENT_SECRET,
    SECRETS,
    SSH_DEPLOY_KEY,
)
from tests.conftest import full_config, shared_run
from verify import canaries
from verify.evaluate import Evaluation
from verify.leaks import find_leaks
from verify.stackconfig import StackConfig


def test_no_leak_with_generated_secrets(full_evaluation: Evaluation) -> None:
    assert find_leaks(full_evaluation) == []


def test_no_leak_with_every_secret_supplied(overridden_evaluation: Evaluation) -> None:
    assert find_leaks(overridden_evaluation) == []


def test_every_registry_secret_has_a_canary_in_the_override_run(overridden_evaluation: Evaluation) -> None:
    labels = {c.label for c in overridden_evaluation.canaries}
    # The override run leaves out a generated secret that belongs with a setting (the deploy key, sshPublicKey).
    expected = {s.config_key for s in SECRETS if not (s.generated and s.required_with)}
    assert SSH_DEPLOY_KEY.config_key not in expected
    assert expected <= labels


def test_offline_placeholders_do_not_leak(base_evaluation: Evaluation) -> None:
    assert find_leaks(base_evaluation) == []


def test_a_canary_planted_anywhere_in_the_real_evaluation_is_found(full_evaluation: Evaluation) -> None:
    """The prefilter on the real program's shape: one plaintext copy in any resource, field or output is found."""
    import copy
    import dataclasses

    from verify.mocks import Registration

    canary = full_evaluation.canaries[0]
    original = full_evaluation.registrations
    for index in range(0, len(original), 7):
        for part in ("inputs", "outputs", "options"):
            planted = copy.deepcopy({p: getattr(original[index], p) for p in ("inputs", "outputs", "options")})
            planted[part]["planted"] = {"deep": [f"x{canary.value}x"]}
            source = original[index]
            replaced = Registration(source.type, source.name, source.urn, source.parent, source.custom, **planted)
            registrations = [*original[:index], replaced, *original[index + 1:]]
            leaks = find_leaks(dataclasses.replace(full_evaluation, registrations=registrations))
            assert [(leak.path, leak.canary) for leak in leaks] == [(f"{part}.planted.deep[0]", canary.label)]
    outputs = dict(full_evaluation.stack_outputs, planted=canary.value)
    assert find_leaks(dataclasses.replace(full_evaluation, stack_outputs=outputs))
    logs = [*full_evaluation.log_lines, f"debug {canary.value}"]
    assert find_leaks(dataclasses.replace(full_evaluation, log_lines=logs))


def provisioned_override() -> StackConfig:
    """Every secret supplied except the machine identity, so the provisioner Job runs with the supplied admin
    password; the deploy key supplied without sshPublicKey, so its public half is derived from it; Grafana's and
    GitHub's clients declared, so their secrets have consumers."""
    config = full_config(include_generated=True)
    for spec in (MACHINE_IDENTITY_CLIENT_ID, MACHINE_IDENTITY_CLIENT_SECRET):
        config.unset(spec.config_key)
        config.canaries = [c for c in config.canaries if c.label != spec.config_key]
    config.set_secret(SSH_DEPLOY_KEY)
    config.set("grafanaHost", "grafana.test.example.com")
    config.set("githubOauthClientId", "Ov23liExampleClientId")
    return config


@pytest.fixture(scope="module")
def provisioned_evaluation() -> Evaluation:
    evaluation = shared_run(provisioned_override())
    assert evaluation.error is None, evaluation.error
    return evaluation


def test_no_leak_with_the_provisioner_and_a_supplied_deploy_key(provisioned_evaluation: Evaluation) -> None:
    assert provisioned_evaluation.by_type("kubernetes:batch/v1:Job"), "the provisioner Job runs in this stack"
    assert find_leaks(provisioned_evaluation) == []


def reached(evaluation: Evaluation) -> set[str]:
    """Labels of the supplied canaries that some resource input or stack output holds (as a secret: a plaintext
    copy is a leak, which the tests above look for)."""
    text = json.dumps([[r.inputs for r in evaluation.registrations], evaluation.stack_outputs], default=str)
    return {canary.label for canary in evaluation.canaries if canary.marker in text}


def test_every_supplied_secret_reaches_a_consumer(overridden_evaluation: Evaluation,
                                                 provisioned_evaluation: Evaluation) -> None:
    """A canary no resource reads proves nothing about leaks: each supplied one reaches a consumer in one of the two
    override runs (with the supplied machine identity, and with the provisioner)."""
    supplied = {s.config_key for s in SECRETS}
    assert supplied <= reached(overridden_evaluation) | reached(provisioned_evaluation)


def test_an_unread_canary_is_not_reached(overridden_evaluation: Evaluation) -> None:
    unread = canaries.Canary("unread", "never-read-by-anything-0123456789", "never-read-by-anything-0123456789")
    evaluation = dataclasses.replace(overridden_evaluation, canaries=[*overridden_evaluation.canaries, unread])
    assert "unread" not in reached(evaluation)
