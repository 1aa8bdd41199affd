"""The leak detector and the faithful mocks, proven on small programs with planted leaks."""

from __future__ import annotations

import dataclasses

import pulumi
import pulumi_command as command
import pulumi_random as random
import pytest

from components import formats
from components.secrets_registry import BY_KEY, PROJECT
from verify import canaries
from verify.evaluate import Evaluation, evaluate
from verify.leaks import find_leaks, scan
from verify.mocks import SECRET_SIG, SECRET_SIG_KEY, is_secret_marker

TOKEN = canaries.for_spec(BY_KEY["cloudflareApiToken"])
CONFIG = {f"{PROJECT}:cloudflareApiToken": TOKEN.value}
SECRET_KEYS = {f"{PROJECT}:cloudflareApiToken"}
CONNECTION = command.remote.ConnectionArgs(host="203.0.113.10", user="root", host_key="ssh-ed25519 AAAA")


def leaky_program(leak: bool) -> None:
    token = pulumi.Config(PROJECT).require_secret("cloudflareApiToken")
    exposed = pulumi.Output.unsecret(token) if leak else token
    # 1: a plaintext sibling next to a secret, nested inside a dict.
    command.remote.Command("nested", connection=CONNECTION, create="true",
                           triggers=[{"outer": {"kept": token, "copy": exposed}}])
    # 2: the secret inside a command string.
    command.remote.Command("argv", connection=CONNECTION, create=exposed.apply(lambda t: f"login --token {t}"))
    # 3: the secret in a stack export.
    pulumi.export("token", exposed)
    # A generated secret: the mock marks `result` secret, as the engine does with additionalSecretOutputs.
    password = random.RandomPassword("pw", length=24)
    pulumi.export("password", password.result)


def run(leak: bool) -> Evaluation:
    evaluation = evaluate(CONFIG, SECRET_KEYS, [TOKEN], program=lambda: leaky_program(leak))
    assert evaluation.error is None and evaluation.crash is None
    return evaluation


def test_every_planted_leak_is_reported() -> None:
    leaks = find_leaks(run(leak=True))
    places = {(leak.where, leak.path) for leak in leaks}
    assert ("command:remote:Command nested", "inputs.triggers[0].outer.copy") in places
    assert ("command:remote:Command argv", "inputs.create") in places
    assert ("stack outputs", ".token") in places
    assert {leak.canary for leak in leaks} == {"cloudflareApiToken"}
    assert not any("kept" in path for _, path in places), "the value inside the secret marker is fine"


def test_the_same_program_without_leaks_is_clean() -> None:
    assert find_leaks(run(leak=False)) == []


def test_mock_monitor_marks_provider_secret_outputs_secret() -> None:
    evaluation = run(leak=False)
    assert is_secret_marker(evaluation.stack_outputs["password"])
    generated = [c for c in evaluation.canaries if c.label.endswith("::pw")]
    assert generated and generated[0].value == evaluation.stack_outputs["password"]["value"]


def test_detector_looks_inside_lists_dicts_and_keys() -> None:
    needle = [TOKEN]
    assert scan({"a": [{"b": TOKEN.value}]}, "x", needle)
    assert scan({TOKEN.value: "key position"}, "x", needle)
    assert scan(f"prefix {TOKEN.value} suffix", "x", needle)
    assert not scan({SECRET_SIG_KEY: SECRET_SIG, "value": {"deep": TOKEN.value}}, "x", needle)


def test_detector_finds_base64_encoded_copies() -> None:
    import base64

    encoded = base64.b64encode(TOKEN.value.encode()).decode()
    assert scan({"data": {"token": encoded}}, "x", [TOKEN])


def test_detector_finds_a_multi_line_secret_shipped_as_base64() -> None:
    """Its marker is one line of it: the base64 of the whole value holds no base64 of that line."""
    import base64

    for canary in (canaries.kubeconfig("kc"), canaries.openssh_private_key("key")):
        assert canary.marker != canary.value
        encoded = base64.b64encode(canary.value.encode()).decode()
        assert scan({"data": {"file": encoded}}, "x", [canary]), canary.label


def test_a_marker_that_only_looks_secret_does_not_hide_a_value() -> None:
    fake = {SECRET_SIG_KEY: "not-the-secret-signature", "value": TOKEN.value}
    assert scan(fake, "x", [TOKEN])


def test_a_needle_that_json_escapes_is_still_found() -> None:
    """The prefilter searches JSON text; a needle with a quote, backslash or newline is checked on every value."""
    quoted = canaries.Canary("quoted", 'pass"word\\with\nbreaks-0123456789', 'pass"word\\with\nbreaks-0123456789')
    assert scan({"env": [f"X={quoted.value}"]}, "x", [quoted])
    assert scan({f"key {quoted.value}": 1}, "x", [quoted])
    assert not scan({SECRET_SIG_KEY: SECRET_SIG, "value": quoted.value}, "x", [quoted])


def test_prefilter_keeps_a_plaintext_copy_beside_a_secret_one() -> None:
    """The secret copy makes the resource a candidate; the exact walk still finds the plaintext one."""
    value = {"kept": {SECRET_SIG_KEY: SECRET_SIG, "value": TOKEN.value}, "list": [1, None, {"deep": TOKEN.value}]}
    assert [leak.path for leak in scan(value, "x", [TOKEN], "inputs")] == ["inputs.list[2].deep"]


def test_struct_conversion_matches_the_protobuf_json_mapping() -> None:
    from google.protobuf import json_format, struct_pb2

    from verify.mocks import _struct_to_python

    message = struct_pb2.Struct()
    message.update({"s": "text", "n": 3, "f": 2.5, "b": False, "none": None, "empty": {}, "list": [],
                    "nested": {"deep": [1, "two", {"three": True}, None, [[]]]}})
    converted = _struct_to_python(message)
    assert converted == json_format.MessageToDict(message)
    assert [type(converted[key]) for key in ("s", "n", "f", "b")] == [str, float, float, bool]


def test_options_hold_every_request_field_but_the_inputs_and_the_call_stack() -> None:
    evaluation = run(leak=False)
    registration = evaluation.one("command:remote:Command", "argv")
    assert registration.options["type"] == "command:remote:Command"
    assert registration.options["additionalSecretOutputs"] == ["connection"]
    assert registration.options["replaceOnChanges"] == ["triggers[*]"]
    assert "object" not in registration.options and "stackTrace" not in registration.options
    assert "sourcePosition" in registration.options
    assert registration.inputs["create"]


def test_every_format_rule_has_a_canary_of_its_shape() -> None:
    rules = [value for value in vars(formats).values() if isinstance(value, formats.FormatRule)]
    assert set(rules) == set(canaries.MAKERS)
    for rule in rules:
        assert rule.accepts(canaries.MAKERS[rule](f"label-{rule.name}").value), rule.name
    unknown = formats.FormatRule("new-shape", "a shape no canary maker knows", lambda value: True)
    with pytest.raises(AssertionError, match="no canary maker for format rule new-shape"):
        canaries.for_spec(dataclasses.replace(BY_KEY["cloudflareApiToken"], format=unknown))


def test_a_secret_passed_to_an_invoke_is_a_leak() -> None:
    """The SDK sends invoke arguments without their secret markers: a secret given to an invoke reaches the engine
    in plain text, so the scan reads every invoke's arguments."""
    def program() -> None:
        token = pulumi.Config(PROJECT).require_secret("cloudflareApiToken")
        pulumi.export("zone", pulumi.Output.secret(token.apply(
            lambda value: pulumi.runtime.invoke("test:index:lookupZone", {"apiToken": value}).value)))

    evaluation = evaluate(CONFIG, SECRET_KEYS, [TOKEN], program=program)
    assert evaluation.error is None and evaluation.crash is None
    assert [(leak.where, leak.path) for leak in find_leaks(evaluation)] == [
        ("invoke test:index:lookupZone", "args.apiToken")]


def test_the_real_programs_invokes_carry_no_secret(full_evaluation: Evaluation) -> None:
    assert full_evaluation.invokes, "the DNS zone lookup is an invoke"
    assert not [leak for leak in find_leaks(full_evaluation) if leak.where.startswith("invoke ")]
