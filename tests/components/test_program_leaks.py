"""The real program under mocks: no canary of any secret appears outside a secret marker."""

from __future__ import annotations

from components.secrets_registry import SECRETS, SSH_DEPLOY_KEY
from verify.evaluate import Evaluation
from verify.leaks import find_leaks


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
