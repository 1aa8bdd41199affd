"""Generated app secrets seeded into Infisical: created when missing, never overwriting a value the flow did
not write, overwritten only when the seed's rotation generation changes."""

from __future__ import annotations

from components.infisical_bootstrap.provision import Seed
from tests.components.infisical_bootstrap import spec
from tests.components.infisical_bootstrap.conftest import STATE, Harness

GRAFANA = Seed("/grafana", "GRAFANA_ADMIN_PASSWORD", "grafana-admin")


def stored(harness: Harness, seed: Seed = GRAFANA) -> str | None:
    (project,) = harness.infisical.state.projects.values()
    return harness.infisical.state.secrets.get((project["id"], "prod", seed.path, seed.name))


def test_a_missing_secret_is_created_then_left_alone(harness: Harness) -> None:
    harness.seeds["grafana-admin"] = "generated-one"
    harness.run(seeds=(GRAFANA,))
    assert stored(harness) == "generated-one"
    assert harness.kube.decoded(STATE.namespace, STATE.name)[GRAFANA.state_key] == "0"
    mark = harness.mark()
    harness.seeds["grafana-admin"] = "changed-without-a-bump"
    harness.run(seeds=(GRAFANA,))
    assert harness.writes_since(mark) == []
    assert stored(harness) == "generated-one"
    assert spec.all_problems(harness.timeline.of("infisical")) == []


def test_a_generation_bump_overwrites_the_value(harness: Harness) -> None:
    harness.seeds["grafana-admin"] = "generated-one"
    harness.run(seeds=(GRAFANA,))
    harness.seeds["grafana-admin"] = "generated-two"
    bumped = Seed(GRAFANA.path, GRAFANA.name, GRAFANA.file, generation=1)
    harness.run(seeds=(bumped,))
    assert stored(harness) == "generated-two"
    assert spec.all_problems(harness.timeline.of("infisical")) == []


def test_a_value_set_by_a_person_is_kept(harness: Harness) -> None:
    harness.run()
    (project,) = harness.infisical.state.projects.values()
    harness.infisical.add_folder(project["id"], "prod", "/grafana")
    harness.infisical.state.secrets[(project["id"], "prod", "/grafana", "GRAFANA_ADMIN_PASSWORD")] = "by-hand"
    harness.seeds["grafana-admin"] = "generated"
    harness.run(seeds=(GRAFANA,))
    assert stored(harness) == "by-hand"
    assert any("exists already: kept" in line for line in harness.lines)
    assert not any("generated" in line or "by-hand" in line for line in harness.lines)


def test_state_keys_are_valid_secret_keys_one_per_path_and_name() -> None:
    import re

    seeds = (GRAFANA, Seed("/", "ROOT_KEY", "f"), Seed("/a/b", "K", "f"), Seed("/", "K", "f"), Seed("/root", "K", "f"),
             Seed("/a", "b.K", "f"), Seed("/1/a", "K", "f"), Seed("/1", "a.K", "f"))
    for seed in seeds:
        assert re.fullmatch(r"[-._a-zA-Z0-9]+", seed.state_key), seed.state_key
    assert len({seed.state_key for seed in seeds}) == len(seeds)
    assert Seed("/", "ROOT_KEY", "f").state_key == "seed.root.ROOT_KEY"  # the key earlier runs recorded
