"""The Infisical client's error paths: typed 401/403/404, bounded retries on 5xx and connection errors,
"already exists" (a 400, never a 409) decided per endpoint. Each exchange is checked against the subset."""

from __future__ import annotations

import socket

import pytest

from components.infisical_bootstrap import api
from components.infisical_bootstrap.provision import ProvisionError
from components.infisical_bootstrap.transport import RetryPolicy, Transport, Unreachable
from tests.components.infisical_bootstrap import spec
from tests.components.infisical_bootstrap.conftest import FAST, Harness


def client(harness: Harness, token: str | None = None) -> api.InfisicalClient:
    return api.InfisicalClient(harness.infisical_url + "/api", harness.lines.append, token, FAST,
                               harness.sleeps.append)


def admin(harness: Harness) -> api.InfisicalClient:
    harness.run()
    return client(harness, harness.infisical.state.admin_token)


def test_401_without_a_valid_token_is_unauthorized(harness: Harness) -> None:
    harness.run()
    with pytest.raises(api.Unauthorized) as caught:
        client(harness, "not-the-token").project_by_slug("homelab")
    assert caught.value.status == 401
    assert spec.all_problems(harness.timeline.of("infisical")[-1:]) == []


def test_403_is_forbidden_and_the_flow_names_the_token_and_the_fix(harness: Harness) -> None:
    harness.run()
    harness.infisical.fault("GET", r"/api/v1/projects/slug/.*", 403, message="You are not allowed to read projects")
    with pytest.raises(ProvisionError, match=r"rejected the instance-admin token .* key adminToken") as caught:
        harness.run()
    assert isinstance(caught.value.__cause__, api.Forbidden)
    assert "You are not allowed to read projects" in str(caught.value)
    assert spec.all_problems(harness.timeline.of("infisical")[-1:]) == []


def test_401_on_a_stored_token_is_reported_the_same_way(harness: Harness) -> None:
    harness.run()
    harness.infisical.state.admin_token = "rotated-elsewhere"
    with pytest.raises(ProvisionError, match="rejected the instance-admin token"):
        harness.run()


def test_404_is_not_found_and_a_lookup_turns_it_into_none(harness: Harness) -> None:
    infisical = admin(harness)
    assert infisical.project_by_slug("missing") is None
    assert infisical.universal_auth_client_id("00000000-0000-4000-8000-00000000dead") is None
    with pytest.raises(api.NotFound):
        infisical.create_environment("00000000-0000-4000-8000-00000000dead", "prod", "prod")
    assert spec.all_problems(harness.timeline.of("infisical")) == []


def test_5xx_is_retried_with_backoff_then_succeeds(harness: Harness) -> None:
    harness.infisical.fault("POST", "/api/v1/admin/bootstrap", 500, times=2, message="Something went wrong")
    harness.run()
    assert harness.sleeps[:2] == [1.0, 2.0]
    assert harness.lines[:2] == ["infisical: POST /v1/admin/bootstrap: status 500, retry 1/3 in 1s",
                                 "infisical: POST /v1/admin/bootstrap: status 500, retry 2/3 in 2s"]
    assert harness.infisical.state.bootstrapped
    assert spec.all_problems(harness.timeline.of("infisical")) == []


def test_5xx_through_every_attempt_is_an_api_error_after_a_bounded_number_of_tries(harness: Harness) -> None:
    harness.infisical.fault("POST", "/api/v1/admin/bootstrap", 500, times=99)
    with pytest.raises(api.ApiError) as caught:
        harness.run()
    assert caught.value.status == 500
    assert len(harness.timeline.of("infisical")) == FAST.attempts
    assert harness.sleeps == [1.0, 2.0, 4.0]


def test_connection_errors_are_retried_then_reported_unreachable() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    lines: list[str] = []
    sleeps: list[float] = []
    transport = Transport(f"http://127.0.0.1:{port}/api", lines.append, RetryPolicy(3, 0.5, 10), sleep=sleeps.append,
                          label="infisical")
    with pytest.raises(Unreachable, match=r"GET /v1/x: .*Connection.* after 3 attempts"):
        transport.send("GET", "/v1/x")
    assert sleeps == [0.5, 1.0]
    assert len(lines) == 2 and all("retry" in line for line in lines)


def test_the_backoff_doubles_and_is_capped() -> None:
    assert list(RetryPolicy(6, 1.0, 5.0).delays()) == [1.0, 2.0, 4.0, 5.0, 5.0]


@pytest.mark.parametrize("message", ["Secret already exists", "Environment with slug already exist",
                                     "Identity with id x already exists in project with id y",
                                     "Instance has already been set up"])
def test_upstream_conflict_messages_read_as_already_exists(message: str) -> None:
    error = api.BadRequest(400, "POST /v1/x", {"message": message, "error": "BadRequest"})
    assert error.already_exists


def test_another_400_is_not_already_exists() -> None:
    assert not api.BadRequest(400, "POST /v1/x", {"message": "Invalid slug", "error": "BadRequest"}).already_exists


def test_already_exists_per_endpoint(harness: Harness) -> None:
    infisical = admin(harness)
    state = harness.infisical.state
    (project,) = state.projects.values()
    (identity,) = state.identities.values()
    # membership: an existing one is "nothing to do"
    assert infisical.add_project_membership(project["id"], identity.id, "viewer") is False
    # environment: a duplicate slug is a 400 the flow tolerates
    with pytest.raises(api.BadRequest) as caught:
        infisical.create_environment(project["id"], "prod", "prod")
    assert caught.value.already_exists and caught.value.status == 400
    # project: a duplicate slug is a 400 too; the flow then looks it up
    with pytest.raises(api.BadRequest) as caught:
        infisical.create_project("homelab", "homelab")
    assert caught.value.already_exists
    # secret: create says False when it exists
    assert infisical.create_secret(project["id"], "prod", "/", "TOKEN", "v1") is True
    assert infisical.create_secret(project["id"], "prod", "/", "TOKEN", "v2") is False
    assert spec.all_problems(harness.timeline.of("infisical")) == []


def test_a_project_created_between_lookup_and_create_is_used(harness: Harness) -> None:
    harness.run()
    harness.infisical.add_project("racing", ("prod",))
    # The lookup misses it once (a concurrent run creates it in between); create then answers 400.
    harness.infisical.fault("GET", "/api/v1/projects/slug/racing", 404, message="Project not found")
    harness.run(project_slug="racing")
    assert [p["slug"] for p in harness.infisical.state.projects.values()].count("racing") == 1


def test_a_400_that_is_not_a_conflict_is_raised(harness: Harness) -> None:
    harness.run()
    harness.infisical.fault("POST", r"/api/v1/projects/.*/environments", 400, message="Invalid environment slug")
    with pytest.raises(api.BadRequest, match="Invalid environment slug"):
        harness.run(environment_slug="staging")
