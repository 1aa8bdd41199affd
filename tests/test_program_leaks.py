"""The real program under mocks: no canary of any secret appears outside a secret marker."""

from __future__ import annotations

from components.secrets_registry import SECRETS
from verify.evaluate import Evaluation
from verify.leaks import find_leaks


def test_no_leak_with_generated_secrets(full_evaluation: Evaluation) -> None:
    assert find_leaks(full_evaluation) == []


def test_no_leak_with_every_secret_supplied(overridden_evaluation: Evaluation) -> None:
    assert find_leaks(overridden_evaluation) == []


def test_every_registry_secret_has_a_canary_in_the_override_run(overridden_evaluation: Evaluation) -> None:
    labels = {c.label for c in overridden_evaluation.canaries}
    expected = {s.config_key for s in SECRETS if s.config_key != "sshPrivateKey"}
    assert expected <= labels


def test_offline_placeholders_do_not_leak(base_evaluation: Evaluation) -> None:
    assert find_leaks(base_evaluation) == []
