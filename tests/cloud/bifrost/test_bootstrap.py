"""bootstrap.sh for real, against the fake docker: order of calls, exit codes, and no secret in sight.

The fake keeps a virtual clock, so a stage that times out after minutes returns at once; the retry
pause is 0 (BIFROST_RETRY_DELAY). Nothing here is timed.
"""

from __future__ import annotations

import fcntl
import re
import signal

import pytest

from components.bifrost import render
from components.secrets_registry import NETBIRD_SETUP_KEY
from fakes.bifrost.harness import Result, Stack

PREFLIGHT = ["compose version", "info", "compose config"]
EDGE = "compose up traefik"
AUTHENTIK = "compose up authentik-postgres authentik-migrate authentik-server authentik-worker"
TOKEN = "exec authentik-worker"
NETBIRD = "compose up netbird-server netbird-dashboard"
SKIP_PROXY = "compose rm netbird-proxy [proxy]"
SKIP_AGENT = "compose rm netbird-agent [agent]"
START_PROXY = "compose up netbird-proxy [proxy]"
START_AGENT = "compose up netbird-agent [agent]"
ISSUE_PROXY_TOKEN = "exec netbird-server"
# Without the operator's proxy token, the VPS issues one and the proxy starts; the agent waits for its key.
TAIL = [ISSUE_PROXY_TOKEN, START_PROXY, SKIP_AGENT]
HAPPY: list[str] = [*PREFLIGHT, EDGE, AUTHENTIK, TOKEN, NETBIRD, *TAIL]

# bootstrap.sh holds this text as a literal: the run must print exactly the program's command for the key.
AGENT_NEXT_STEP = f"next step: {NETBIRD_SETUP_KEY.set_command()} && pulumi up"


def check(result: Result, stack: Stack, code: int, sequence: list[str]) -> None:
    """The exit code, the docker calls in order, and no canary anywhere."""
    assert result.returncode == code, result.output
    assert result.sequence() == sequence, result.output
    assert result.leaked() == []
    for call in result.calls:
        if call.compose_command not in (None, "version"):
            assert call.argv[1:5] == ["--project-directory", str(stack.directory),
                                      "-f", str(stack.directory / "docker-compose.yml")]
        if call.compose_command == "up":
            assert call.argv[-len(call.services) - 4:-len(call.services)] == [
                "-d", "--wait", "--wait-timeout", "300"]


def failure_logs(result: Result) -> list[str]:
    return [call.services[0] for call in result.calls if call.compose_command == "logs"]


# -- the happy path ------------------------------------------------------------------------------


def test_happy_path_starts_the_stages_in_order(stack: Stack) -> None:
    stack.scenario()
    result = stack.run("--stage-timeout", "300")
    check(result, stack, 0, HAPPY)
    assert "step token: created" in result.stdout
    assert "done: the Bifrost stack is up" in result.stdout


def test_every_step_logs_a_timestamped_line_with_its_duration(stack: Stack) -> None:
    stack.scenario()
    result = stack.run()
    check(result, stack, 0, HAPPY)
    # One stream, so `pulumi up` shows compose's lines and the script's in the order they happened.
    assert result.stderr == ""
    assert " Container traefik  Created" in result.stdout
    finished = re.findall(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ bifrost: step ([a-z-]+): \w+ \(\d+s\)$",
                          result.stdout, re.MULTILINE)
    assert finished == ["preflight", "edge", "authentik", "token", "netbird", "proxy-token", "netbird-proxy",
                        "netbird-agent"]


def test_slow_services_within_the_timeout_are_waited_for_by_compose(stack: Stack) -> None:
    stack.scenario(services={
        "traefik": {"ready_after": 20},
        "authentik-postgres": {"ready_after": 30},
        "authentik-migrate": {"exit_after": 90, "exit_code": 0},
        "authentik-server": {"ready_after": 150},
        "netbird-server": {"ready_after": 10},
    })
    result = stack.run()
    check(result, stack, 0, HAPPY)
    # One compose call per stage: the waiting happened inside compose, not in a polling loop.
    up_clocks = [call.elapsed for call in result.calls if call.compose_command == "up"]
    assert up_clocks == [20, 30 + 90 + 150, 10, 1]


# -- stages that fail ------------------------------------------------------------------------------


def test_edge_stage_timeout_stops_with_3_and_shows_traefik_logs(stack: Stack) -> None:
    stack.scenario(services={"traefik": {"never_ready": True}},
                   logs={"traefik": ["traefik | acme: error presenting token"]})
    result = stack.run()
    check(result, stack, 3, [*PREFLIGHT, EDGE, "compose ps traefik", "compose logs traefik"])
    assert "traefik | acme: error presenting token" in result.output
    assert "step edge: a service is unhealthy, exited, or was not ready within 300s" in result.output


def test_authentik_stage_timeout_shows_only_the_service_that_is_not_ready(stack: Stack) -> None:
    stack.scenario(services={"authentik-server": {"never_ready": True}})
    result = stack.run()
    ps = "compose ps authentik-postgres authentik-migrate authentik-server authentik-worker"
    check(result, stack, 3, [*PREFLIGHT, EDGE, AUTHENTIK, ps, "compose logs authentik-server"])


def test_netbird_stage_timeout_after_the_token(stack: Stack) -> None:
    stack.scenario(services={"netbird-dashboard": {"never_ready": True}})
    result = stack.run()
    check(result, stack, 3, [*PREFLIGHT, EDGE, AUTHENTIK, TOKEN, NETBIRD,
                             "compose ps netbird-server netbird-dashboard", "compose logs netbird-dashboard"])


def test_failed_migration_stops_authentik_with_its_logs(stack: Stack) -> None:
    stack.scenario(services={"authentik-migrate": {"exit_after": 40, "exit_code": 1}},
                   logs={"authentik-migrate": ["migrate | relation already exists"]})
    result = stack.run()
    ps = "compose ps authentik-postgres authentik-migrate authentik-server authentik-worker"
    check(result, stack, 3, [*PREFLIGHT, EDGE, AUTHENTIK, ps, "compose logs authentik-migrate"])
    assert "migrate | relation already exists" in result.output


def test_a_container_that_exits_fails_its_stage(stack: Stack) -> None:
    stack.scenario(services={"netbird-server": {"exit_after": 3, "exit_code": 2}})
    result = stack.run()
    check(result, stack, 3, [*PREFLIGHT, EDGE, AUTHENTIK, TOKEN, NETBIRD,
                             "compose ps netbird-server netbird-dashboard", "compose logs netbird-server"])


def test_an_unhealthy_database_fails_the_authentik_stage(stack: Stack) -> None:
    stack.scenario(services={"authentik-postgres": {"unhealthy_after": 15}})
    result = stack.run()
    ps = "compose ps authentik-postgres authentik-migrate authentik-server authentik-worker"
    check(result, stack, 3, [*PREFLIGHT, EDGE, AUTHENTIK, ps, "compose logs authentik-postgres"])


# -- the API token ----------------------------------------------------------------------------------


def test_token_retries_while_authentik_is_not_ready_then_succeeds(stack: Stack) -> None:
    stack.scenario(ak_shell={"fail_times": 3})
    result = stack.run()
    check(result, stack, 0, [*PREFLIGHT, EDGE, AUTHENTIK, TOKEN, TOKEN, TOKEN, TOKEN, NETBIRD, *TAIL])
    assert re.findall(r"attempt (\d)/8 failed \(ak shell exited 1 without a status\); retrying in 0s",
                      result.stdout) == ["1", "2", "3"]
    assert "step token: created" in result.stdout
    # The script goes on stdin; the key stays in the container's environment.
    for call in result.calls:
        if call.argv[:2] == ["exec", "-i"]:
            assert call.argv == ["exec", "-i", "authentik-worker", "ak", "shell"]
            assert 'identifier="bifrost-automation"' in call.stdin
            assert 'os.environ.get("BIFROST_API_TOKEN"' in call.stdin


def test_token_that_never_succeeds_exits_4_with_worker_logs(stack: Stack) -> None:
    stack.scenario(ak_shell={"fail_times": 1000})
    result = stack.run()
    check(result, stack, 4, [*PREFLIGHT, EDGE, AUTHENTIK, *[TOKEN] * 8, "compose logs authentik-worker"])
    assert "did not succeed after 8 attempts" in result.output


def test_token_script_error_is_retried_and_reported_by_class_name_only(stack: Stack) -> None:
    stack.scenario(ak_shell={"status": "error"})
    result = stack.run()
    check(result, stack, 4, [*PREFLIGHT, EDGE, AUTHENTIK, *[TOKEN] * 8, "compose logs authentik-worker"])
    assert "(error OperationalError)" in result.stdout


def test_token_without_a_key_in_the_worker_fails_at_once(stack: Stack) -> None:
    stack.scenario(ak_shell={"status": "missing-key"})
    result = stack.run()
    check(result, stack, 4, [*PREFLIGHT, EDGE, AUTHENTIK, TOKEN])
    assert "BIFROST_API_TOKEN is not set" in result.output


# -- optional services --------------------------------------------------------------------------------


def test_the_agent_without_its_key_is_skipped_with_the_next_step(stack: Stack) -> None:
    stack.scenario()
    result = stack.run()
    check(result, stack, 0, HAPPY)
    lines = [line.split(" bifrost: ", 1)[1] for line in result.stdout.splitlines() if " bifrost: " in line]
    assert AGENT_NEXT_STEP in lines
    assert [call.profiles for call in result.calls if call.compose_command == "up" and call.profiles] == [["proxy"]]


def test_optional_services_with_secrets_start_in_their_profiles(stack: Stack) -> None:
    stack.render(proxy=True, agent=True)
    stack.scenario()
    result = stack.run()
    check(result, stack, 0, [*PREFLIGHT, EDGE, AUTHENTIK, TOKEN, NETBIRD, START_PROXY, START_AGENT])
    assert "next step" not in result.output


def test_a_proxy_token_from_the_stack_config_is_used_and_none_is_issued(stack: Stack) -> None:
    stack.render(proxy=True)
    stack.scenario()
    result = stack.run()
    check(result, stack, 0, [*PREFLIGHT, EDGE, AUTHENTIK, TOKEN, NETBIRD, START_PROXY, SKIP_AGENT])
    assert AGENT_NEXT_STEP in result.stdout
    assert "step proxy-token: using the token from env/netbird-proxy.env (stack config)" in result.stdout


def test_an_optional_service_that_fails_fails_the_run(stack: Stack) -> None:
    stack.render(agent=True)
    stack.scenario(services={"netbird-agent": {"unhealthy_after": 30}})
    result = stack.run()
    check(result, stack, 3, [*PREFLIGHT, EDGE, AUTHENTIK, TOKEN, NETBIRD, ISSUE_PROXY_TOKEN, START_PROXY,
                             START_AGENT, "compose ps netbird-agent [agent]", "compose logs netbird-agent [agent]"])


def test_unsetting_an_optional_secret_removes_its_container(stack: Stack) -> None:
    stack.render(agent=True)
    stack.scenario()
    check(stack.run(), stack, 0, [*PREFLIGHT, EDGE, AUTHENTIK, TOKEN, NETBIRD, ISSUE_PROXY_TOKEN, START_PROXY,
                                  START_AGENT])
    stack.render(agent=False)
    result = stack.run()
    check(result, stack, 0, [*PREFLIGHT, EDGE, AUTHENTIK, TOKEN, NETBIRD, START_PROXY, SKIP_AGENT])
    removal = next(call for call in result.calls if call.compose_command == "rm")
    assert removal.events == {"netbird-agent": "Removed"}


# -- preflight ------------------------------------------------------------------------------------------


def test_missing_secret_file_fails_preflight_with_2(stack: Stack) -> None:
    (stack.directory / "env" / "authentik.env").unlink()
    stack.scenario()
    result = stack.run()
    check(result, stack, 2, PREFLIGHT[:2])
    assert "preflight: env/authentik.env is missing" in result.output


def test_preflight_checks_the_files_the_program_lists(stack: Stack) -> None:
    stack.write_secret(render.RENDERED_LIST_PATH, render.rendered_list() + "required env/extra.env\n")
    stack.scenario()
    result = stack.run()
    check(result, stack, 2, PREFLIGHT[:2])
    assert "preflight: env/extra.env is missing" in result.output


def test_an_optional_file_the_program_lists_may_be_empty(stack: Stack) -> None:
    stack.write_secret("env/extra.env", "")
    stack.write_secret(render.RENDERED_LIST_PATH, render.rendered_list() + "optional env/extra.env\n")
    stack.scenario()
    check(stack.run(), stack, 0, HAPPY)


@pytest.mark.parametrize("listing", [None, "", "required ../../etc/shadow\n", "required /etc/shadow\n",
                                     "needed .env\n", "required .env extra\n"])
def test_a_missing_or_malformed_list_of_rendered_files_fails_preflight_with_2(stack: Stack,
                                                                             listing: str | None) -> None:
    if listing is None:
        (stack.directory / render.RENDERED_LIST_PATH).unlink()
    else:
        stack.write_secret(render.RENDERED_LIST_PATH, listing)
    stack.scenario()
    result = stack.run()
    check(result, stack, 2, PREFLIGHT[:2])
    assert f"preflight: {render.RENDERED_LIST_PATH} " in result.output


def test_world_readable_secret_file_fails_preflight_with_2(stack: Stack) -> None:
    (stack.directory / "env" / "traefik.env").chmod(0o644)
    stack.scenario()
    result = stack.run()
    check(result, stack, 2, PREFLIGHT[:2])
    assert "preflight: env/traefik.env is mode 644, expected 600" in result.output


def test_every_file_problem_is_reported_at_once(stack: Stack) -> None:
    (stack.directory / "env" / "authentik-worker.env").unlink()
    (stack.directory / "env" / "netbird-agent.env").chmod(0o640)
    stack.write_secret("env/traefik.env", "")
    stack.write_secret("netbird/config.yaml", 'server:\n  authSecret: "${NB_RELAY_SECRET}"\n')
    (stack.directory / "traefik" / "dynamic.yml").unlink()
    stack.directory.chmod(0o755)
    stack.scenario()
    result = stack.run()
    check(result, stack, 2, PREFLIGHT[:2])
    problems = re.findall(r"ERROR: preflight: (.*)$", result.output, re.MULTILINE)
    assert problems == [
        f"{stack.directory} is mode 755, expected 700",
        "traefik/dynamic.yml is missing",
        "env/authentik-worker.env is missing",
        "env/netbird-agent.env is mode 640, expected 600",
        "env/traefik.env is empty",
        "netbird/config.yaml contains an unrendered ${...} placeholder (NetBird never expands them)",
    ]


def test_docker_missing_fails_preflight_with_2(stack: Stack) -> None:
    stack.scenario()
    result = stack.run(path=stack.path_without_docker())
    check(result, stack, 2, [])
    assert "docker is not installed" in result.output


def test_docker_compose_missing_fails_preflight_with_2(stack: Stack) -> None:
    stack.scenario(compose_missing=True)
    result = stack.run()
    check(result, stack, 2, ["compose version"])
    assert "docker compose v2 is not installed" in result.output


def test_unreachable_docker_daemon_fails_preflight_with_2(stack: Stack) -> None:
    stack.scenario(daemon_down=True)
    result = stack.run()
    check(result, stack, 2, ["compose version", "info"])
    assert "docker daemon is not reachable" in result.output


def test_a_docker_engine_too_old_for_the_healthchecks_fails_preflight_with_2(stack: Stack) -> None:
    stack.scenario(engine_version="24.0.7")
    result = stack.run()
    check(result, stack, 2, ["compose version", "info"])
    assert "docker engine 24.0.7 is too old: 25 or later is needed" in result.output


def test_invalid_compose_config_fails_without_echoing_compose(stack: Stack) -> None:
    # The fake, like compose, quotes the env file line (a secret) in its error: it must not show.
    stack.scenario(config_invalid=True)
    result = stack.run()
    check(result, stack, 2, PREFLIGHT)
    assert "compose configuration does not validate" in result.output


@pytest.mark.parametrize("arguments", [["--lock-timeout", "5"], ["--stage-timeout"], ["--stage-timeout", "0"],
                                       ["--stage-timeout", "ten"], ["--stage-timeout", "08"],
                                       ["--stage-timeout", "60", "--lock-timeout", "-1"],
                                       ["--stage-timeout", "60", "--secret=x"]])
def test_bad_arguments_fail_with_2_before_any_docker_call(stack: Stack, arguments: list[str]) -> None:
    stack.scenario()
    result = stack.run(*arguments)
    check(result, stack, 2, [])
    assert "usage: bash bootstrap.sh --stage-timeout SECONDS" in result.output
    assert "--secret=x" not in result.output


# -- re-runs ----------------------------------------------------------------------------------------------


def test_rerun_after_success_changes_nothing(stack: Stack) -> None:
    stack.scenario()
    check(stack.run(), stack, 0, HAPPY)
    result = stack.run()
    # The proxy token issued by the first run is kept: none is issued again.
    check(result, stack, 0, [*PREFLIGHT, EDGE, AUTHENTIK, TOKEN, NETBIRD, START_PROXY, SKIP_AGENT])
    events = {name: event for call in result.calls for name, event in call.events.items()}
    # Only the one-shot migration runs again (a no-op when there is nothing to migrate).
    assert events == {
        "traefik": "Running",
        "authentik-postgres": "Running",
        "authentik-migrate": "Started",
        "authentik-server": "Running",
        "authentik-worker": "Running",
        "netbird-server": "Running",
        "netbird-dashboard": "Running",
        "netbird-proxy": "Running",
    }
    assert "step token: unchanged" in result.stdout
    assert "step proxy-token: unchanged" in result.stdout
    assert stack.fake_state()["proxy_tokens_issued"] == 1


def test_rerun_after_an_interrupted_run_completes(stack: Stack) -> None:
    # The first run is killed (SIGKILL, as a dropped SSH session can) while Authentik is starting.
    stack.scenario(interrupt_on="authentik-server")
    interrupted = stack.run(new_session=True)
    assert interrupted.returncode == -signal.SIGKILL
    assert interrupted.sequence() == [*PREFLIGHT, EDGE, AUTHENTIK]
    assert (stack.directory / ".bootstrap.lock").exists()
    result = stack.run()
    check(result, stack, 0, HAPPY)
    assert "step token: created" in result.stdout


def test_a_run_in_progress_holds_the_lock(stack: Stack) -> None:
    stack.scenario()
    with (stack.directory / ".bootstrap.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = stack.run("--stage-timeout", "300", "--lock-timeout", "0")
    check(result, stack, 5, [])
    assert "another bootstrap run holds" in result.output
    check(stack.run(), stack, 0, HAPPY)


# -- the NetBird proxy token ---------------------------------------------------------------------------


ISSUED_TOKEN = "nbx_issuedOnTheVpsOnly0123456789abcdefXYZ"


def test_the_proxy_token_is_issued_on_the_vps_into_a_0600_env_file(stack: Stack) -> None:
    stack.scenario(proxy_token={"token": ISSUED_TOKEN})
    result = stack.run()
    check(result, stack, 0, HAPPY)
    (issue,) = [call for call in result.calls if call.argv[:2] == ["exec", "netbird-server"]]
    # As combined/cmd/admin.go and management/cmd/token/token.go define it (netbird v0.77).
    assert issue.argv[2:] == ["/go/bin/netbird-server", "--config", "/etc/netbird/config.yaml", "admin", "token",
                              "create", "--name", "bifrost-proxy"]
    issued = stack.directory / "env" / "netbird-proxy-issued.env"
    assert issued.read_text() == f'NB_PROXY_TOKEN="{ISSUED_TOKEN}"\n'
    assert issued.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in issued.parent.iterdir() if "issued" in p.name) == ["netbird-proxy-issued.env"]
    # Never printed, never in a later docker call's argv or environment.
    assert ISSUED_TOKEN not in result.output
    assert all(ISSUED_TOKEN not in " ".join(call.argv) + str(call.env) for call in result.calls)
    assert "step proxy-token: created" in result.stdout
    # The proxy container reads the issued file (the fake fingerprints a service's env files).
    up = next(call for call in result.calls if call.compose_command == "up" and call.profiles == ["proxy"])
    assert up.events["netbird-proxy"] == "Created"


def test_the_issued_token_is_redacted_from_the_proxy_logs(stack: Stack) -> None:
    stack.scenario(proxy_token={"token": ISSUED_TOKEN}, services={"netbird-proxy": {"never_ready": True}},
                   logs={"netbird-proxy": [f"proxy | auth with token {ISSUED_TOKEN} rejected"]})
    result = stack.run()
    assert result.returncode == 3, result.output
    assert "proxy | auth with token [redacted] rejected" in result.output
    assert ISSUED_TOKEN not in result.output


def test_a_failed_issue_exits_7_writes_nothing_and_prints_nothing_of_it(stack: Stack) -> None:
    stack.scenario(proxy_token={"fail": True, "echo": "CANARY-admin-output"})
    result = stack.run()
    check(result, stack, 7, [*PREFLIGHT, EDGE, AUTHENTIK, TOKEN, NETBIRD, ISSUE_PROXY_TOKEN])
    assert "netbird-server admin token create exited 1 without a token" in result.output
    assert "CANARY-admin-output" not in result.output
    assert (stack.directory / "env" / "netbird-proxy-issued.env").read_text() == ""
    # The next run tries again.
    stack.scenario()
    check(stack.run(), stack, 0, HAPPY)
