"""Supplied secrets are read once by the config model and travel as opaque handles to a secret Output."""

from __future__ import annotations

import pickle
from typing import Any

import pulumi
import pytest

from components.config.load import validate
from components.config.model import SecretValue
from components.config.raw import RawConfig
from components.secrets_registry import HCLOUD_TOKEN, PROJECT
from tests.conftest import full_config, run
from verify.evaluate import Evaluation
from verify.mocks import is_secret_marker, unwrap

VALUE = "CanaryHandleValue0123456789abcdefghij"


def test_a_handle_never_shows_its_value() -> None:
    handle = SecretValue(VALUE)
    for shown in (repr(handle), str(handle), f"{handle}", f"{handle!r}", repr([handle]), repr({"k": handle})):
        assert VALUE not in shown
        assert "hidden" in shown
    assert handle.reveal() == VALUE


def test_a_handle_cannot_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(SecretValue(VALUE))


def test_settings_hold_handles_and_their_repr_shows_no_secret() -> None:
    config = full_config()
    settings, problems = validate(RawConfig(config.values, frozenset(config.secret_keys)), "test")
    assert settings is not None, problems
    assert set(settings.secret_values) == settings.supplied
    assert all(isinstance(handle, SecretValue) for handle in settings.secret_values.values())
    shown = repr(settings) + str(settings.secret_values)
    for canary in config.canaries:
        assert canary.marker not in shown, canary.label


def test_the_program_reads_no_secret_from_pulumi_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Config is read by the model alone: a second read through pulumi.Config would fail here. Every reader of
    pulumi.Config (get, require, the _secret, _bool, _int, _float and _object forms) goes through `Config._get`
    (pulumi 3.272.0, pulumi/config.py), so that is the one refused, for this project's keys."""
    read = pulumi.Config._get

    def refuse(self: pulumi.Config, key: str, *args: Any, **kwargs: Any) -> str | None:
        if self.full_key(key).startswith(f"{PROJECT}:"):
            raise AssertionError(f"{key} read a second time through pulumi.Config")
        return read(self, key, *args, **kwargs)

    monkeypatch.setattr(pulumi.Config, "_get", refuse)
    with pytest.raises(AssertionError, match="read a second time"):
        pulumi.Config(PROJECT).get_bool("bifrostEnabled")  # the refusal reaches every form
    evaluation = run(full_config())
    assert evaluation.error is None, evaluation.error
    assert evaluation.registrations


def test_a_supplied_secret_reaches_its_consumer_as_a_secret_output(full_evaluation: Evaluation) -> None:
    provider = full_evaluation.one("pulumi:providers:hcloud", "hcloud")
    token = provider.inputs["token"]
    assert is_secret_marker(token), "the supplied token must reach the provider as a secret"
    canary = next(c for c in full_evaluation.canaries if c.label == HCLOUD_TOKEN.config_key)
    assert canary.value in str(unwrap(token))  # the value the model read, handed on unchanged
