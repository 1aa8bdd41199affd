"""The pack served for real: started as the Pulumi CLI starts a Python policy pack
(`python -m pulumi.policy <engine> <pack folder>`) and driven over the analyzer gRPC protocol with the
real program's registrations. Nothing else here can run `pulumi preview --policy-pack policy`."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policy import rules
from policy.firewall import DEFAULT_ALLOWED_INGRESS
from policy.pack import PACK_NAME
from policy.values import UNKNOWN_STRING
from tests.policy.helpers import COMMAND, FIREWALL, SECRET, bootstrap_secret, firewall, inbound, runner, secret
from verify import PROJECT_ROOT
from verify.evaluate import Evaluation

MANDATORY = analyzer_pb2.EnforcementLevel.MANDATORY
CONFIG_SECRET_KEY = "homelab-secrets:cloudflareApiToken"
CONFIG_SECRET = "canary-config-secret-in-the-pack-env-8d1f"
START_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("PULUMI_") and key != "PYTHONPATH"}
    # As the engine passes the stack's config to a pack: JSON, secrets decrypted.
    env["PULUMI_CONFIG"] = json.dumps({CONFIG_SECRET_KEY: CONFIG_SECRET, "homelab-secrets:netbirdHost": "x.example"})
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(PROJECT_ROOT / "policy")],
        cwd=tmp_path_factory.mktemp("analyzer"), env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline() if process.stdout else ""),
                     daemon=True).start()
    try:
        try:
            port = lines.get(timeout=START_TIMEOUT).strip()
        except queue.Empty:
            port = ""
        if not port.isdigit():
            process.kill()
            _out, err = process.communicate(timeout=30)
            pytest.fail(f"the policy pack did not start (stdout {port!r}):\n{err}")
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    return json_format.ParseDict(value, struct_pb2.Struct())


def _analyze(stub: analyzer_pb2_grpc.AnalyzerStub, resource_type: str, inputs: dict[str, Any],
             name: str = "resource") -> Any:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource_type, name=name, properties=_struct(inputs),
        urn=f"urn:pulumi:test::homelab-secrets::{resource_type}::{name}")
    return stub.Analyze(request, timeout=30)


def _configure(stub: analyzer_pb2_grpc.AnalyzerStub, firewall_config: dict[str, Any] | None) -> None:
    """As the engine does: every policy's enforcement level, plus properties where configured."""
    config = {rule.name: analyzer_pb2.PolicyConfig(enforcementLevel=MANDATORY) for rule in rules.RULES}
    if firewall_config is not None:
        config["hcloud-firewall-ingress"] = analyzer_pb2.PolicyConfig(
            enforcementLevel=MANDATORY, properties=_struct(firewall_config))
    stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=config), timeout=30)


def test_analyzer_info_lists_every_policy_as_mandatory(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == PACK_NAME
    assert [policy.name for policy in info.policies] == [rule.name for rule in rules.RULES]
    assert {policy.enforcementLevel for policy in info.policies} == {MANDATORY}
    (firewall_policy,) = [policy for policy in info.policies if policy.name == "hcloud-firewall-ingress"]
    schema = json_format.MessageToDict(firewall_policy.configSchema.properties)
    assert schema["allowedIngress"]["default"] == DEFAULT_ALLOWED_INGRESS


def test_real_program_passes_the_served_pack(analyzer: analyzer_pb2_grpc.AnalyzerStub,
                                             full_evaluation: Evaluation) -> None:
    _configure(analyzer, None)
    found = {}
    for registration in full_evaluation.registrations:
        response = _analyze(analyzer, registration.type, registration.inputs, registration.name)
        if response.diagnostics:
            found[f"{registration.type} {registration.name}"] = [d.message for d in response.diagnostics]
    assert found == {}


def test_served_pack_reports_a_mandatory_violation(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    _configure(analyzer, None)
    response = _analyze(analyzer, FIREWALL, firewall(inbound("icmp", None)), "bifrost")
    (diagnostic,) = response.diagnostics
    assert diagnostic.policyName == "hcloud-firewall-ingress"
    assert diagnostic.enforcementLevel == MANDATORY
    assert diagnostic.policyPackName == PACK_NAME
    assert "rules[4]: inbound icmp from 0.0.0.0/0, ::/0 is not allowed" in diagnostic.message


def test_served_pack_takes_the_operators_firewall_list(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    _configure(analyzer, {"allowedIngress": [*DEFAULT_ALLOWED_INGRESS, {"protocol": "icmp"}]})
    try:
        assert list(_analyze(analyzer, FIREWALL, firewall(inbound("icmp", None))).diagnostics) == []
    finally:
        _configure(analyzer, None)


def test_served_pack_defers_unknown_values_in_preview(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    _configure(analyzer, None)
    props = bootstrap_secret()
    props["metadata"]["annotations"] = UNKNOWN_STRING
    (diagnostic,) = _analyze(analyzer, SECRET, props).diagnostics
    assert "can't run policy 'bootstrap-secret-no-prune'" in diagnostic.message
    assert diagnostic.enforcementLevel == analyzer_pb2.EnforcementLevel.ADVISORY



def test_served_pack_sees_the_secret_marker_the_sdk_strips(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    _configure(analyzer, None)
    inline = "cat > /etc/bifrost/env/x.env <<'EOF'\nTOKEN=canary-served-inline-7c3e\nEOF\n"
    response = _analyze(analyzer, COMMAND, runner(create=secret(inline), logging="none",
                                                   addPreviousOutputInEnv=False), "writer")
    # The served message is the policy's description, a newline, then the violation.
    messages = [d.message.split("\n", 1)[1] for d in response.diagnostics
                if d.policyName == "command-script-no-secret"]
    assert messages == ["create is a secret Output: a script is sent and kept as plain text; pass the secret on "
                        "stdin and keep the script free of it"]


def test_served_pack_finds_a_secret_of_the_stack_config_in_a_script(
        analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    _configure(analyzer, None)
    response = _analyze(analyzer, COMMAND, runner(create=f"echo {CONFIG_SECRET} | tee /dev/null"), "runner")
    # The served message is the policy's description, a newline, then the violation.
    messages = [d.message.split("\n", 1)[1] for d in response.diagnostics
                if d.policyName == "command-script-no-secret"]
    assert messages == [f"create holds the secret value of config {CONFIG_SECRET_KEY}: pass it on stdin and keep "
                        "the script free of it"]
    assert all(CONFIG_SECRET not in d.message for d in response.diagnostics)
