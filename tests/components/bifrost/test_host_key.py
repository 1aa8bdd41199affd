"""A supplied sshHostPrivateKey never crosses an invoke: its public half is computed in the program.

The SDK sends invoke arguments without their secret markers (a `tls.get_public_key` call would carry the
private key in plain text to the engine and its logs). Every invoke the program makes is in the evaluation's
`invokes`, recorded by the mock monitor from the request that crossed the RPC.
"""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization

from components.bootstrap_secrets import openssh_public_key
from components.secrets_registry import BY_KEY
from tests.conftest import full_config, shared_run
from verify import canaries
from verify.evaluate import Evaluation
from verify.mocks import unwrap
from verify.stackconfig import StackConfig

HOST_KEY = BY_KEY["sshHostPrivateKey"]


def supplied_host_key() -> tuple[StackConfig, canaries.Canary]:
    config = full_config()
    return config, config.set_secret(HOST_KEY)


def expected_public_key(private_key: str) -> str:
    key = serialization.load_ssh_private_key(private_key.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode()


def test_no_invoke_carries_the_supplied_host_key() -> None:
    config, canary = supplied_host_key()
    evaluation = shared_run(config)
    assert evaluation.error is None
    carried = [token for token, args in evaluation.invokes if canary.marker in json.dumps(args)]
    assert carried == []
    assert not any(token.startswith("tls:") for token, _args in evaluation.invokes)


def test_the_derived_public_half_is_pinned_and_exported() -> None:
    config, canary = supplied_host_key()
    evaluation = shared_run(config)
    public = expected_public_key(canary.value)
    known_hosts = unwrap(evaluation.stack_outputs["bifrostKnownHosts"])
    assert known_hosts == f"203.0.113.10 {public}"
    # Not a secret: the operator appends it to known_hosts without --show-secrets.
    assert not isinstance(evaluation.stack_outputs["bifrostKnownHosts"], dict)
    for registration in evaluation.by_type("command:remote:Command"):
        assert unwrap(registration.inputs)["connection"]["hostKey"] == public
    user_data = str(unwrap(evaluation.one("hcloud:index/server:Server", "bifrost").inputs["userData"]))
    assert public in user_data


def test_a_generated_host_key_needs_no_invoke_either(full_evaluation: Evaluation) -> None:
    assert not any(token.startswith("tls:") for token, _args in full_evaluation.invokes)


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
