"""The leak scan's prefilter on a registration's wire bytes misses no copy, wherever in it the copy sits."""

from __future__ import annotations

import pulumi
import pulumi_command as command

from components.secrets_registry import BY_KEY
from verify import canaries
from verify.evaluate import Evaluation, evaluate
from verify.leaks import find_leaks

TOKEN = canaries.for_spec(BY_KEY["cloudflareApiToken"])
CONNECTION = command.remote.ConnectionArgs(host="203.0.113.10", user="root", host_key="ssh-ed25519 AAAA")


def program() -> None:
    # A copy only in the options: inputs and outputs hold none.
    command.remote.Command("in-options", connection=CONNECTION, create="true",
                           opts=pulumi.ResourceOptions(ignore_changes=[f"x{TOKEN.value}"]))
    # A copy only in the outputs: the provider generates the key; without the typed class nothing marks it secret.
    pulumi.CustomResource("tls:index/privateKey:PrivateKey", "untyped-key", {"algorithm": "ED25519"})
    command.remote.Command("clean", connection=CONNECTION, create="true")


def evaluation() -> Evaluation:
    result = evaluate({}, set(), [TOKEN], program=program)
    assert result.error is None and result.crash is None
    return result


def test_a_copy_only_in_the_options_or_only_in_the_outputs_is_found_from_the_wire() -> None:
    evaluated = evaluation()
    assert all(registration.unconverted() is not None for registration in evaluated.registrations), (
        "the scan starts from the wire bytes")
    places = {(leak.where, leak.path.split("[")[0]) for leak in find_leaks(evaluated)}
    assert ("command:remote:Command in-options", "options.ignoreChanges") in places
    assert any(where == "tls:index/privateKey:PrivateKey untyped-key" and path.startswith("outputs.")
               for where, path in places)
    assert not any("clean" in where for where, _ in places)


def test_a_clean_registration_is_never_converted() -> None:
    evaluated = evaluation()
    find_leaks(evaluated)
    (clean,) = [r for r in evaluated.registrations if r.name == "clean"]
    assert clean.unconverted() is not None
