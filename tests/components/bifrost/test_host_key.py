"""A supplied sshHostPrivateKey never crosses an invoke: its public half is computed in the program.

The SDK sends invoke arguments without their secret markers (a `tls.get_public_key` call would carry the
private key in plain text to the engine and its logs). Every invoke the program makes is recorded here
from the mock providers' `call`, which receives exactly what crossed the RPC.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from components.bootstrap_secrets import openssh_public_key
from components.secrets_registry import BY_KEY
from tests.conftest import full_config
from verify import canaries
from verify.evaluate import Evaluation, evaluate
from verify.mocks import CanaryProviders, unwrap
from verify.stackconfig import StackConfig

HOST_KEY = BY_KEY["sshHostPrivateKey"]


def supplied_host_key() -> tuple[StackConfig, canaries.Canary]:
    config = full_config()
    return config, config.set_secret(HOST_KEY)


def evaluate_recording(config: StackConfig, monkeypatch: pytest.MonkeyPatch) -> tuple[Evaluation, list[Any]]:
    invokes: list[Any] = []
    original = CanaryProviders.call

    def recording(self: CanaryProviders, args: Any) -> Any:
        invokes.append((args.token, dict(args.args)))
        return original(self, args)

    monkeypatch.setattr(CanaryProviders, "call", recording)
    evaluation = evaluate(config.values, config.secret_keys, config.canaries)
    if evaluation.crash is not None:
        raise evaluation.crash
    return evaluation, invokes


def expected_public_key(private_key: str) -> str:
    key = serialization.load_ssh_private_key(private_key.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode()


def test_no_invoke_carries_the_supplied_host_key(monkeypatch: pytest.MonkeyPatch) -> None:
    config, canary = supplied_host_key()
    evaluation, invokes = evaluate_recording(config, monkeypatch)
    assert evaluation.error is None
    carried = [token for token, args in invokes if canary.marker in json.dumps(args)]
    assert carried == []
    assert not any(token.startswith("tls:") for token, _args in invokes)


def test_the_derived_public_half_is_pinned_and_exported(monkeypatch: pytest.MonkeyPatch) -> None:
    config, canary = supplied_host_key()
    evaluation, _invokes = evaluate_recording(config, monkeypatch)
    public = expected_public_key(canary.value)
    known_hosts = unwrap(evaluation.stack_outputs["bifrostKnownHosts"])
    assert known_hosts == f"203.0.113.10 {public}"
    # Not a secret: the operator appends it to known_hosts without --show-secrets.
    assert not isinstance(evaluation.stack_outputs["bifrostKnownHosts"], dict)
    for registration in evaluation.by_type("command:remote:Command"):
        assert unwrap(registration.inputs)["connection"]["hostKey"] == public
    user_data = str(unwrap(evaluation.one("hcloud:index/server:Server", "bifrost").inputs["userData"]))
    assert public in user_data


def test_a_generated_host_key_needs_no_invoke_either(monkeypatch: pytest.MonkeyPatch) -> None:
    _evaluation, invokes = evaluate_recording(full_config(), monkeypatch)
    assert not any(token.startswith("tls:") for token, _args in invokes)


def test_an_unreadable_key_fails_with_the_key_name_and_no_key_text() -> None:
    broken = "-----BEGIN OPENSSH PRIVATE KEY-----\nbm90LWEta2V5LXNlY3JldC10ZXh0\n-----END OPENSSH PRIVATE KEY-----\n"
    import pulumi

    with pytest.raises(pulumi.RunError) as raised:
        openssh_public_key(broken, HOST_KEY)
    message = str(raised.value)
    assert "homelab-secrets:sshHostPrivateKey is not an unencrypted OpenSSH private key" in message
    assert "pulumi config set --secret homelab-secrets:sshHostPrivateKey < <file>" in message
    assert "bm90LWEta2V5" not in message


def test_the_canary_key_is_a_real_key_that_ssh_tools_read() -> None:
    canary = canaries.openssh_private_key("label")
    assert canary.marker in canary.value
    assert expected_public_key(canary.value).startswith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI")
    assert canaries.openssh_private_key("label") == canary
    assert canaries.openssh_private_key("other").marker != canary.marker
