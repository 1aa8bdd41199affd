"""The real provisioning flow against the Infisical and Kubernetes doubles: first run, re-run, rotation, recovery."""

from __future__ import annotations

import pytest

from components.infisical_bootstrap import provision as p
from components.infisical_bootstrap.provision import ProvisionError
from tests.components.infisical_bootstrap import spec
from tests.components.infisical_bootstrap.conftest import CREDENTIALS, STATE, Harness

FIRST_RUN_WRITES = [
    "infisical POST /api/v1/admin/bootstrap",
    "kubernetes PATCH /api/v1/namespaces/infisical/secrets/infisical-bootstrap-state",  # token, at once
    "infisical POST /api/v1/projects",
    "kubernetes PATCH /api/v1/namespaces/infisical/secrets/infisical-bootstrap-state",
    "infisical POST /api/v1/projects/{project}/environments",
    "infisical POST /api/v1/identities",
    "kubernetes PATCH /api/v1/namespaces/infisical/secrets/infisical-bootstrap-state",  # identity id, at once
    "infisical POST /api/v1/auth/universal-auth/identities/{identity}",
    "infisical POST /api/v1/projects/{project}/memberships/identities/{identity}",
    "kubernetes PATCH /api/v1/namespaces/infisical/secrets/infisical-bootstrap-state",
    "infisical POST /api/v1/auth/universal-auth/identities/{identity}/client-secrets",
    "kubernetes PATCH /api/v1/namespaces/external-secrets/secrets/infisical-machine-identity",
    "kubernetes PATCH /api/v1/namespaces/infisical/secrets/infisical-bootstrap-state",
]


def normalised(harness: Harness, writes: list[str]) -> list[str]:
    state = harness.kube.decoded(STATE.namespace, STATE.name)
    out = []
    for write in writes:
        text = write
        for key, placeholder in ((p.STATE_PROJECT_ID, "{project}"), (p.STATE_IDENTITY_ID, "{identity}")):
            if state.get(key):
                text = text.replace(state[key], placeholder)
        out.append(text)
    return out


def test_a_first_run_provisions_everything_in_order(harness: Harness) -> None:
    outcome = harness.run()
    assert normalised(harness, harness.writes_since(0)) == FIRST_RUN_WRITES
    state = harness.kube.decoded(STATE.namespace, STATE.name)
    fake = harness.infisical.state
    assert state[p.STATE_ADMIN_TOKEN] == fake.admin_token
    assert state[p.STATE_ORGANIZATION_ID] == fake.org["id"]
    (project,) = fake.projects.values()
    assert (project["slug"], [env["slug"] for env in project["environments"]]) == ("homelab", ["prod"])
    (identity,) = fake.identities.values()
    assert fake.memberships == {(project["id"], identity.id)}
    credentials = harness.kube.decoded(CREDENTIALS.namespace, CREDENTIALS.name)
    assert credentials == {"clientId": identity.client_id, "clientSecret": harness.infisical.active_client_secrets()[0]}
    assert state[p.STATE_GENERATION] == "0"
    assert outcome.changes[0] == "instance bootstrapped"


def test_the_membership_grants_the_configured_project_role(harness: Harness) -> None:
    harness.run(project_role="viewer")
    (membership,) = [e for e in harness.timeline.of("infisical") if "/memberships/" in e.path]
    assert membership.json() == {"roles": [{"role": "viewer", "isTemporary": False}]}
    (identity,) = [e for e in harness.timeline.of("infisical") if e.path == "/api/v1/identities"]
    assert identity.json()["role"] == "no-access"  # no organization-wide access


def test_a_re_run_changes_nothing_and_writes_nothing(harness: Harness) -> None:
    harness.run()
    before = (harness.kube.secrets.copy(), len(harness.infisical.issued))
    mark = harness.mark()
    outcome = harness.run()
    assert harness.writes_since(mark) == []
    assert outcome.summary() == "nothing to change"
    assert (harness.kube.secrets, len(harness.infisical.issued)) == before


def test_rotation_writes_the_new_secret_before_revoking_the_old_one(harness: Harness) -> None:
    harness.run()
    (old,) = harness.infisical.active_client_secrets()
    mark = harness.mark()
    harness.run(generation=1)
    writes = normalised(harness, harness.writes_since(mark))
    assert writes == [
        "infisical POST /api/v1/auth/universal-auth/identities/{identity}/client-secrets",
        "kubernetes PATCH /api/v1/namespaces/external-secrets/secrets/infisical-machine-identity",
        "kubernetes PATCH /api/v1/namespaces/infisical/secrets/infisical-bootstrap-state",
        writes[-1],
    ]
    assert writes[-1].endswith("/revoke")
    (new,) = harness.infisical.active_client_secrets()
    assert new != old
    assert harness.kube.decoded(CREDENTIALS.namespace, CREDENTIALS.name)["clientSecret"] == new
    assert harness.kube.decoded(STATE.namespace, STATE.name)[p.STATE_GENERATION] == "1"
    mark = harness.mark()
    harness.run(generation=1)
    assert harness.writes_since(mark) == []  # the bumped counter settles


def test_rotation_never_revokes_a_client_secret_it_did_not_create(harness: Harness) -> None:
    harness.run()
    (identity,) = harness.infisical.state.identities.values()
    from tests.components.infisical_bootstrap.fake_infisical import ClientSecret

    foreign = ClientSecret("f0000000-0000-4000-8000-000000000001", identity.id, "made by a person", "foreign-value")
    harness.infisical.state.client_secrets.append(foreign)
    harness.run(generation=1)
    assert not foreign.revoked


def test_a_run_stopped_after_issuing_resumes_and_revokes_the_orphan(harness: Harness) -> None:
    harness.run()
    # The credentials patch fails once the secret is issued: the run stops, the orphan stays active.
    harness.kube.read_only = {(CREDENTIALS.namespace, CREDENTIALS.name)}
    with pytest.raises(Exception, match="infisical-machine-identity: patch failed with status 403"):
        harness.run(generation=1)
    assert len(harness.infisical.active_client_secrets()) == 2
    harness.kube.read_only = set()
    harness.run(generation=1)
    (active,) = harness.infisical.active_client_secrets()
    assert harness.kube.decoded(CREDENTIALS.namespace, CREDENTIALS.name)["clientSecret"] == active


def test_an_emptied_credentials_secret_gets_a_new_client_secret(harness: Harness) -> None:
    harness.run()
    harness.kube.create(CREDENTIALS.namespace, CREDENTIALS.name)
    harness.run()
    (active,) = harness.infisical.active_client_secrets()
    assert harness.kube.decoded(CREDENTIALS.namespace, CREDENTIALS.name)["clientSecret"] == active


def test_a_recorded_identity_that_is_gone_is_created_anew(harness: Harness) -> None:
    harness.run()
    harness.infisical.state.identities.clear()  # deleted in the UI: its ID now answers 404
    harness.infisical.state.client_secrets.clear()
    harness.run()
    (identity,) = harness.infisical.state.identities.values()
    state = harness.kube.decoded(STATE.namespace, STATE.name)
    assert state[p.STATE_IDENTITY_ID] == identity.id
    assert state[p.STATE_MEMBERSHIP].endswith("/" + identity.id)
    assert harness.kube.decoded(CREDENTIALS.namespace, CREDENTIALS.name)["clientId"] == identity.client_id


def test_an_existing_project_and_environment_are_used_not_created(harness: Harness) -> None:
    harness.run()
    mark = harness.mark()
    harness.infisical.add_project("other", ("prod",))
    harness.run(project_slug="other")
    writes = harness.writes_since(mark)
    assert not any(w.endswith("/api/v1/projects") or w.endswith("/environments") for w in writes)


def test_every_exchange_matches_the_openapi_subset(harness: Harness) -> None:
    seed = p.Seed("/", "APP_KEY", "app-key")
    harness.seeds["app-key"] = "generated"
    harness.run(seeds=(seed,), folders=("/a", "/a/b"))
    harness.run(generation=1, seeds=(p.Seed("/", "APP_KEY", "app-key", generation=1),), folders=("/a", "/a/b"))
    harness.infisical.state.identities.clear()
    harness.run()
    exchanges = harness.timeline.of("infisical")
    assert spec.all_problems(exchanges) == []
    assert spec.operations(exchanges) == {
        "bootstrapInstance", "getProjectBySlug", "createProject", "createEnvironment", "createMachineIdentity",
        "attachUniversalAuth", "getUniversalAuth", "createProjectIdentityMembership",
        "createUniversalAuthClientSecret", "listUniversalAuthClientSecrets", "revokeUniversalAuthClientSecret",
        "createSecretV4", "updateSecretV4", "listSecretFolders",
        "createSecretFolder"}, "every operation the client uses is exercised and checked"


def test_the_spec_check_catches_a_wrong_shape_on_either_side(harness: Harness) -> None:
    harness.run()
    (bootstrap, *_) = harness.timeline.of("infisical")
    bad_request = type(bootstrap)(**{**bootstrap.__dict__, "body": b'{"email": "a@b.c", "pass": "x"}'})
    assert any(": request:" in problem for problem in spec.problems(bad_request))
    bad_response = type(bootstrap)(**{**bootstrap.__dict__, "response": b'{"message": "ok"}'})
    assert any(": response:" in problem for problem in spec.problems(bad_response))


def test_a_state_secret_the_role_does_not_name_fails_with_the_fix(harness: Harness) -> None:
    harness.kube.allowed = set()
    with pytest.raises(Exception, match="resourceNames"):
        harness.run()


def test_a_missing_state_secret_names_the_fix(harness: Harness) -> None:
    del harness.kube.secrets[(STATE.namespace, STATE.name)]
    with pytest.raises(Exception, match="creates it \\(empty\\) before the Job"):
        harness.run()


def test_bootstrapped_elsewhere_without_a_token_fails_with_the_fix(harness: Harness) -> None:
    harness.infisical.state.bootstrapped = True
    with pytest.raises(ProvisionError, match=r"already bootstrapped .* key adminToken.*kubectl -n infisical edit"):
        harness.run()
    assert harness.writes_since(0) == ["infisical POST /api/v1/admin/bootstrap"]
