"""command-script-no-secret: a secret in a Command's create, update or delete script is a violation.

The pack sees the markers the SDK strips (policy/secrets.py): these tests go through the SDK's own
deserializer (tests/policy/engine.py) and the served pack, not only through the plain rule function.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from policy import rules
from policy.pack import build_policies
from policy.secrets import SecretView
from tests.policy.engine import analyze
from tests.policy.helpers import COMMAND, runner, secret, writer
from verify.evaluate import Evaluation
from verify.mocks import unwrap

RULE = "command-script-no-secret"
LOCAL = "command:local:Command"
VALUE = "canary-inline-secret-5f2a9c1e"
HEREDOC = f"set -eu\numask 077\ncat > /etc/bifrost/env/traefik.env <<'EOF'\nCF_DNS_API_TOKEN=\"{VALUE}\"\nEOF\n"


def found(resource_type: str, wire: dict[str, Any]) -> list[str]:
    return analyze(build_policies(), resource_type, wire).get(RULE, [])


@pytest.mark.parametrize("key", rules.SCRIPT_KEYS)
@pytest.mark.parametrize("resource_type", [COMMAND, LOCAL])
def test_a_secret_output_script_is_reported(resource_type: str, key: str) -> None:
    wire = runner(logging="none", addPreviousOutputInEnv=False, **{key: secret(HEREDOC)})
    (message,) = found(resource_type, wire)
    assert message.startswith(f"{key} is a secret Output")
    assert VALUE not in message


def test_an_inline_heredoc_of_a_value_marked_secret_elsewhere_is_reported() -> None:
    """The issue's case: no stdin, logging off, the secret inline, its marker dropped on the script."""
    wire = runner(create=HEREDOC, logging="none", addPreviousOutputInEnv=False)
    wire["connection"] = secret({**wire["connection"], "password": VALUE})
    (message,) = found(COMMAND, wire)
    assert message == ("create holds the secret value of connection.password: pass it on stdin and keep the "
                       "script free of it")


def test_a_script_with_a_secret_config_value_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"homelab-secrets:cloudflareApiToken": VALUE,
                                                    "homelab-secrets:netbirdHost": "netbird.example.com"}))
    wire = runner(create=HEREDOC, logging="none", addPreviousOutputInEnv=False)
    assert found(COMMAND, wire) == ["create holds the secret value of config homelab-secrets:cloudflareApiToken: "
                                    "pass it on stdin and keep the script free of it"]


def test_plain_config_values_in_scripts_are_fine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"homelab-secrets:netbirdHost": "netbird.example.com"}))
    assert found(COMMAND, runner(create="echo netbird.example.com")) == []


def test_a_secret_stdin_with_a_plain_script_passes() -> None:
    assert found(COMMAND, writer(stdin=secret(f'CF_DNS_API_TOKEN="{VALUE}"\n'))) == []


def test_without_the_markers_the_rule_cannot_see_the_secret() -> None:
    """Why the pack records the wire form: on the props the SDK hands a policy, the marker is gone."""
    props = unwrap(runner(create=secret(HEREDOC)))
    assert rules.check_script_secrets(COMMAND, props) == []
    view = SecretView.from_wire(runner(create=secret(HEREDOC)))
    assert rules.check_script_secrets(COMMAND, props, secrets=view) != []


def test_the_real_writers_would_be_caught_carrying_their_secret_inline(full_evaluation: Evaluation) -> None:
    """A real file writer rewritten the way the issue describes, once with the script a secret Output
    (what Output.concat of a secret gives) and once unsecreted: both are reported."""
    writers = [r for r in full_evaluation.by_type(COMMAND) if "-file-env-traefikenv" in r.name]
    (registration,) = writers
    inputs = dict(registration.inputs)
    content = str(unwrap(inputs.pop("stdin")))
    inline = f"set -eu\ncat > /etc/bifrost/env/traefik.env <<'EOF'\n{content}EOF\n"
    assert found(COMMAND, {**inputs, "create": secret(inline)})
    config = {f"canary {c.label}": c.value for c in full_evaluation.canaries}
    view = SecretView.from_wire({**inputs, "create": inline}, tuple(config.items()))
    messages = rules.check_script_secrets(COMMAND, unwrap({**inputs, "create": inline}), secrets=view)
    assert messages and "canary cloudflareApiToken" in messages[0]
