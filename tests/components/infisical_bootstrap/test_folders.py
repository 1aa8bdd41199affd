"""The folders the catalog's apps live in: created by the Job on a fresh Infisical (whose environment has only
`/`), parents first and before any secret is written there; read before written, so a re-run writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from components.infisical_bootstrap import api
from components.infisical_bootstrap.provision import ProvisionError, Seed, folder_chain
from tests.components.infisical_bootstrap import spec
from tests.components.infisical_bootstrap.conftest import FAST, Harness

N8N = Seed("/n8n", "N8N_ENCRYPTION_KEY", "n8n-key")
FOLDER_CREATE = "infisical POST /api/v2/folders"


def project(harness: Harness) -> dict[str, Any]:
    (only,) = harness.infisical.state.projects.values()
    return only


def folder_posts(harness: Harness, mark: int = 0) -> list[tuple[str, str]]:
    """(parent path, name) of each folder create the Job sent, in order."""
    return [(body["path"], body["name"]) for e in harness.since(mark, "infisical")
            if e.method == "POST" and e.path == "/api/v2/folders" and (body := e.json())]


def test_the_chain_puts_parents_first_and_never_the_root() -> None:
    assert folder_chain(["/n8n", "/a/b", "/", "/a", "/a/b/c"]) == ("/a", "/n8n", "/a/b", "/a/b/c")
    assert folder_chain(["/"]) == ()


def test_a_first_run_creates_the_folders_before_writing_a_generated_key(harness: Harness) -> None:
    harness.seeds["n8n-key"] = "generated-n8n"
    harness.run(folders=("/n8n", "/a", "/a/b"), seeds=(N8N,))
    assert folder_posts(harness) == [("/", "a"), ("/", "n8n"), ("/a", "b")]
    writes = harness.writes_since(0)
    assert writes.index(FOLDER_CREATE) < writes.index("infisical POST /api/v4/secrets/N8N_ENCRYPTION_KEY")
    tree = harness.infisical.state.folders[(project(harness)["id"], "prod")]
    assert sorted(tree) == ["/", "/a", "/a/b", "/n8n"]
    assert tree["/a/b"]["parentId"] == tree["/a"]["id"]
    assert harness.infisical.state.secrets[(project(harness)["id"], "prod", "/n8n", N8N.name)] == "generated-n8n"
    assert spec.all_problems(harness.timeline.of("infisical")) == []
    secrets = [*harness.secrets_seen(), "generated-n8n"]
    assert harness.lines and [line for line in harness.lines if any(secret in line for secret in secrets)] == []


def test_a_rerun_makes_no_write_call(harness: Harness) -> None:
    harness.seeds["n8n-key"] = "generated-n8n"
    harness.run(folders=("/n8n", "/a", "/a/b"), seeds=(N8N,))
    mark = harness.mark()
    outcome = harness.run(folders=("/n8n", "/a", "/a/b"), seeds=(N8N,))
    assert harness.writes_since(mark) == []
    assert outcome.summary() == "nothing to change"


def test_a_folder_made_by_a_person_is_used_as_it_is(harness: Harness) -> None:
    harness.run()
    harness.infisical.add_folder(project(harness)["id"], "prod", "/n8n")
    made = harness.infisical.state.folders[(project(harness)["id"], "prod")]["/n8n"]["id"]
    mark = harness.mark()
    harness.seeds["n8n-key"] = "generated-n8n"
    harness.run(folders=("/n8n",), seeds=(N8N,))
    assert folder_posts(harness, mark) == []
    assert harness.infisical.state.folders[(project(harness)["id"], "prod")]["/n8n"]["id"] == made
    assert harness.infisical.state.secrets[(project(harness)["id"], "prod", "/n8n", N8N.name)] == "generated-n8n"


def test_a_folder_deleted_since_the_last_run_is_made_again(harness: Harness) -> None:
    harness.run(folders=("/n8n", "/grafana"))
    del harness.infisical.state.folders[(project(harness)["id"], "prod")]["/grafana"]
    mark = harness.mark()
    harness.run(folders=("/n8n", "/grafana"))
    assert folder_posts(harness, mark) == [("/", "grafana")]


def test_a_deleted_folder_gets_its_generated_keys_again(harness: Harness) -> None:
    """A person deleted the folder with its secrets: the recorded generation went with them."""
    harness.seeds["n8n-key"] = "generated-n8n"
    harness.run(folders=("/n8n",), seeds=(N8N,))
    key = (project(harness)["id"], "prod")
    del harness.infisical.state.folders[key]["/n8n"]
    del harness.infisical.state.secrets[(*key, "/n8n", N8N.name)]
    harness.run(folders=("/n8n",), seeds=(N8N,))
    assert harness.infisical.state.secrets[(*key, "/n8n", N8N.name)] == "generated-n8n"


def test_every_new_parent_is_listed_once_before_its_children_are_made(harness: Harness) -> None:
    harness.run(folders=("/a", "/a/b", "/a/c"))
    listings = [e.query["path"] for e in harness.since(0, "infisical")
                if e.method == "GET" and e.path == "/api/v2/folders"]
    assert listings == ["/", "/a"]


def test_a_seed_folder_is_made_even_when_the_settings_do_not_list_it(harness: Harness) -> None:
    harness.seeds["n8n-key"] = "generated-n8n"
    harness.run(seeds=(N8N,))
    assert folder_posts(harness) == [("/", "n8n")]


def test_a_name_infisical_refuses_fails_with_the_folder_and_the_fix(harness: Harness) -> None:
    with pytest.raises(ProvisionError, match=r"folder /n8n\.prod in environment prod: .*422.*homelab-secrets:apps"):
        harness.run(folders=("/n8n.prod",))


def test_another_refusal_is_not_blamed_on_the_name(harness: Harness) -> None:
    harness.infisical.fault("POST", "/api/v2/folders", 404, message="Environment with slug 'prod' not found")
    with pytest.raises(ProvisionError, match=r"folder /n8n in environment prod: .*404") as raised:
        harness.run(folders=("/n8n",))
    assert "folder name holds" not in str(raised.value)


def test_a_folder_that_still_cannot_be_found_names_the_fix(harness: Harness) -> None:
    harness.infisical.fault("POST", "/api/v4/secrets/N8N_ENCRYPTION_KEY", 404,
                            message="Folder with path '/n8n' in environment with slug 'prod' not found")
    harness.seeds["n8n-key"] = "generated-n8n"
    with pytest.raises(ProvisionError, match=r"folder /n8n must exist in environment prod: .*run the Job again"):
        harness.run(folders=("/n8n",), seeds=(N8N,))


# --- the double answers as upstream does ---------------------------------------------------------------------------
def admin(harness: Harness) -> tuple[api.InfisicalClient, str]:
    harness.run()
    client = api.InfisicalClient(harness.infisical_url + "/api", harness.lines.append, retry=FAST,
                                 sleep=harness.sleeps.append)
    return client.with_token(harness.infisical.state.admin_token), project(harness)["id"]


def test_a_fresh_environment_has_only_its_root_and_a_secret_elsewhere_is_upstreams_404(harness: Harness) -> None:
    client, project_id = admin(harness)
    assert list(harness.infisical.state.folders[(project_id, "prod")]) == ["/"]
    with pytest.raises(api.NotFound) as raised:
        client.create_secret(project_id, "prod", "/n8n", "KEY", "value")
    assert raised.value.message == "Folder with path '/n8n' in environment with slug 'prod' not found"
    assert raised.value.error == "CreateSecret"
    assert client.create_secret(project_id, "prod", "/", "KEY", "value")


def test_the_folder_endpoint_returns_an_existing_folder_and_makes_missing_parents(harness: Harness) -> None:
    client, project_id = admin(harness)
    client.create_folder(project_id, "prod", "/a/b", "c")  # parents /a and /a/b are made on the way
    tree = harness.infisical.state.folders[(project_id, "prod")]
    assert sorted(tree) == ["/", "/a", "/a/b", "/a/b/c"]
    before = dict(tree["/a/b/c"])
    client.create_folder(project_id, "prod", "/a/b", "c")
    assert tree["/a/b/c"] == before
    assert client.folder_names(project_id, "prod", "/a") == {"b"}
    assert client.folder_names(project_id, "prod", "/missing") == frozenset()
    with pytest.raises(api.ApiError) as raised:
        client.create_folder(project_id, "prod", "/", "n8n.prod")
    assert raised.value.status == 422 and raised.value.error == "ValidationFailure"
    assert spec.all_problems(harness.timeline.of("infisical")) == []


def test_the_spec_check_catches_a_wrong_folder_shape_on_either_side(harness: Harness) -> None:
    harness.run(folders=("/n8n",))
    (create,) = [e for e in harness.timeline.of("infisical") if e.method == "POST" and e.path == "/api/v2/folders"]
    assert spec.problems(create) == []
    v1_body = b'{"workspaceId": "p", "environment": "prod", "name": "n8n", "path": "/"}'  # the deprecated v1 form
    assert any(": request:" in problem for problem in spec.problems(type(create)(**{**create.__dict__,
                                                                                  "body": v1_body})))
    no_path = b'{"folder": {"id": "00000000-0000-4000-8000-000000000001", "name": "n8n"}}'
    assert any(": response:" in problem for problem in spec.problems(type(create)(**{**create.__dict__,
                                                                                   "response": no_path})))
