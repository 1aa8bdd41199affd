"""A change of image or location, like one of user_data, waits for `serverReplacement: replace`, and says so.

The second evaluation runs against the first one's outputs as the stack's state (verify.evaluate's
`prior`): like the engine, an input in ignoreChanges keeps its deployed value there.
"""

from __future__ import annotations

import pytest

from components.bifrost.server import REPLACING_INPUTS, held_back_changes
from tests.conftest import full_config
from verify.evaluate import Evaluation, evaluate
from verify.mocks import unwrap
from verify.stackconfig import StackConfig

SERVER = "hcloud:index/server:Server"


def evaluated(config: StackConfig, prior: Evaluation | None = None) -> Evaluation:
    evaluation = evaluate(config.values, config.secret_keys, config.canaries, prior=prior)
    if evaluation.crash is not None:
        raise evaluation.crash
    return evaluation


def changed_config(mode: str) -> StackConfig:
    config = full_config()
    config.set("image", "ubuntu-26.04")
    config.set("location", "hel1")
    config.set("serverReplacement", mode)
    return config


def warnings(evaluation: Evaluation) -> list[str]:
    return [line for line in evaluation.log_lines if "means a new server" in line]


@pytest.fixture(scope="module")
def deployed() -> Evaluation:
    return evaluated(full_config())


def test_every_replacing_input_is_held_back_outside_replace_mode(deployed: Evaluation) -> None:
    assert set(REPLACING_INPUTS) == {"userData", "sshKeys", "image", "location"}
    for mode in ("off", "unprotect"):
        server = evaluated(changed_config(mode), prior=deployed).one(SERVER, "bifrost")
        assert server.options.get("ignoreChanges") == list(REPLACING_INPUTS), mode


@pytest.mark.parametrize("mode", ["off", "unprotect"])
def test_an_image_and_location_change_keeps_the_server_and_warns(deployed: Evaluation, mode: str) -> None:
    after = evaluated(changed_config(mode), prior=deployed)
    server = unwrap(after.one(SERVER, "bifrost").outputs)
    # The engine keeps the deployed values: no replacement is planned.
    assert (server["image"], server["location"]) == ("ubuntu-24.04", "fsn1")
    found = warnings(after)
    assert len(found) == 2, after.log_lines
    assert any("homelab-secrets:image is 'ubuntu-26.04' but the server runs 'ubuntu-24.04'" in w for w in found)
    assert any("homelab-secrets:location is 'hel1' but the server runs 'fsn1'" in w for w in found)
    assert all("serverReplacement replace && pulumi up" in w for w in found)


def test_replace_mode_lets_the_change_through_without_a_warning(deployed: Evaluation) -> None:
    after = evaluated(changed_config("replace"), prior=deployed)
    server = after.one(SERVER, "bifrost")
    assert not server.options.get("ignoreChanges")
    assert unwrap(server.outputs)["image"] == "ubuntu-26.04"
    assert warnings(after) == []


def test_an_unchanged_server_warns_nothing(deployed: Evaluation) -> None:
    assert warnings(deployed) == []
    assert warnings(evaluated(full_config(), prior=deployed)) == []


def test_held_back_changes_names_each_key_and_the_fix() -> None:
    steps = held_back_changes({"image": "b", "location": "x"}, {"image": "a", "location": "x"})
    assert len(steps) == 1
    assert steps[0].startswith("homelab-secrets:image is 'b' but the server runs 'a'")
    assert "serverReplacement unprotect && pulumi up" in steps[0]
    assert held_back_changes({"image": "b"}, {"image": None}) == []
