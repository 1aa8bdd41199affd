"""Every policy over the real program under the mock harness: no violation, and no resource unseen.

Written to keep working as the VPS and cluster components grow: it assumes no particular resource
exists, but checks that each rule examined every registration of the types it guards (found here by
independent predicates on the type token), and prints how many that was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from pulumi_policy import ResourceValidationPolicy

from components.cluster.constants import BOOTSTRAP_LABEL
from policy import rules
from policy.pack import build_policies
from policy.secrets import SecretView
from tests.policy.engine import analyze
from tests.policy.helpers import secret
from verify.evaluate import Evaluation
from verify.mocks import SECRET_SIG, Registration, unwrap

# What each rule must examine, stated without the rule's own type tables.
GUARDED: dict[str, Callable[[Registration], bool]] = {
    "remote-file-write-silent": lambda r: r.type == "command:remote:Command",
    "command-script-no-secret": lambda r: r.type in ("command:remote:Command", "command:local:Command"),
    "remote-command-no-environment": lambda r: r.type == "command:remote:Command",
    "remote-connection-host-key": lambda r: r.type.startswith("command:remote:") and "connection" in r.inputs,
    "hcloud-server-protection": lambda r: r.type.startswith("hcloud:index/server:"),
    "hcloud-firewall-ingress": lambda r: r.type.startswith("hcloud:index/firewall:"),
    "external-secrets-api-v1": lambda r: r.type.startswith("kubernetes:external-secrets.io/")
    and r.type.rsplit(":", 1)[1] in ("ExternalSecret", "ClusterSecretStore", "SecretStore"),
    # helm.sh/v3:Chart is a local component that registers no chart inputs: the program uses Release.
    "helm-chart-version-pinned": lambda r: re.fullmatch(r"kubernetes:helm\.sh/v\d+:(Release|Chart)", r.type)
    is not None and r.type != "kubernetes:helm.sh/v3:Chart",
    "bootstrap-secret-no-prune": lambda r: r.type == "kubernetes:core/v1:Secret",
}


@pytest.fixture(params=["full_evaluation", "overridden_evaluation"])
def evaluation(request: pytest.FixtureRequest) -> Evaluation:
    result: Evaluation = request.getfixturevalue(request.param)
    assert result.registrations, "the program registered nothing"
    return result


def test_every_rule_is_guarded_here() -> None:
    assert set(GUARDED) == {rule.name for rule in rules.RULES}


def test_real_program_violates_no_rule(evaluation: Evaluation) -> None:
    examined = dict.fromkeys(GUARDED, 0)
    found: list[str] = []
    # Every secret the program was given or generated, as the stack's config would hand them to the pack.
    config_secrets = tuple((f"canary {c.label}", c.value) for c in evaluation.canaries)
    for registration in evaluation.registrations:
        props = unwrap(registration.inputs)
        assert SECRET_SIG not in json.dumps(props)
        for rule in rules.RULES:
            if not rule.applies(registration.type):
                continue
            examined[rule.name] += 1
            extra = {"secrets": SecretView.from_wire(registration.inputs, config_secrets)} \
                if rule.reads_secrets else {}
            found.extend(f"{rule.name}: {registration.type} {registration.name}: {message}"
                         for message in rule.check(registration.type, props, **extra))
    print("\nregistrations examined per policy:", json.dumps(examined, indent=1))
    assert found == []
    expected = {name: sum(1 for r in evaluation.registrations if guards(r)) for name, guards in GUARDED.items()}
    assert examined == expected


def test_rules_saw_what_they_are_about(evaluation: Evaluation) -> None:
    """The narrower scopes (file writers, bootstrap Secrets) are found where the program has them."""
    commands = [unwrap(r.inputs) for r in evaluation.registrations if r.type == rules.COMMAND]
    writers = [props for props in commands if rules.file_write_reasons(props)]
    with_stdin = [props for props in commands if "stdin" in props]
    assert len(writers) >= len(with_stdin)
    secrets = [unwrap(r.inputs) for r in evaluation.registrations if r.type == rules.SECRET]
    labelled = [props for props in secrets
                if (props.get("metadata") or {}).get("labels", {}).get(BOOTSTRAP_LABEL) == "true"]
    assert [props for props in secrets if rules.is_bootstrap_secret(props)] == labelled
    print(f"\nfile-writing commands: {len(writers)} of {len(commands)}; "
          f"bootstrap Secrets: {len(labelled)} of {len(secrets)}")


def test_real_program_passes_through_the_sdk_path(evaluation: Evaluation) -> None:
    """The same, through pulumi_policy's deserializer and proxies and the pack's own policies."""
    policies: list[ResourceValidationPolicy] = build_policies()
    found = {f"{r.type} {r.name}": violations for r in evaluation.registrations
             if (violations := analyze(policies, r.type, r.inputs, name=r.name))}
    assert found == {}


def test_a_violation_in_a_registration_would_be_caught(full_evaluation: Evaluation) -> None:
    """The harness path is live: a real registration, broken, is reported."""
    policies = build_policies()
    broken = [r for r in full_evaluation.registrations if r.type == rules.COMMAND]
    if not broken:
        pytest.skip("the program registers no remote Command yet")
    inputs = dict(broken[0].inputs)
    inputs["environment"] = {"LEAK": "x"}
    inputs["connection"] = secret({**unwrap(inputs["connection"]), "hostKey": ""})
    found = analyze(policies, rules.COMMAND, inputs)
    assert {"remote-command-no-environment", "remote-connection-host-key"} <= set(found)
