"""The fake docker server keeps the calls of one home from losing each other's state while one of them
waits for real. The waits below are safety bounds for a broken fake, not measurements.
"""

from __future__ import annotations

import signal
import subprocess

from fakes.bifrost.harness import Stack, default_stop_signals
from tests.cloud.bifrost.test_docker_client import BOUND, docker, project


def start_docker(stack: Stack, *args: str, stdin: int | None = None) -> subprocess.Popen[str]:
    """The fake docker client in the background, its stop signals at their defaults."""
    return subprocess.Popen(
        [stack.bin / "docker", *args], env={"PATH": "/usr/bin:/bin", "FAKE_DOCKER_HOME": str(stack.fake_home)},
        stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=default_stop_signals,  # noqa: PLW1509 (bash cannot trap a signal it starts with ignored)
    )


def blocking_up(stack: Stack) -> subprocess.Popen[str]:
    """An `up` of traefik, which waits for real for a signal (the scenario must block_on traefik)."""
    return start_docker(stack, "compose", *project(stack), "up", "-d", "--wait", "traefik")


# -- calls of one home while one waits for real ------------------------------------------------------


def test_a_call_that_runs_while_another_waits_for_real_is_kept(stack: Stack) -> None:
    stack.scenario(block_on="traefik")
    blocked = blocking_up(stack)
    assert stack.wait_until_blocked(blocked) == blocked.pid
    # The blocked up has released its home's lock: this call runs meanwhile, and its state must outlive the
    # blocked call's end.
    assert docker(stack, "compose", *project(stack), "up", "-d", "--wait", "authentik-postgres").returncode == 0
    during = stack.fake_state()
    blocked.send_signal(signal.SIGTERM)
    blocked.communicate(timeout=BOUND)
    assert blocked.returncode == 128 + signal.SIGTERM
    after = stack.fake_state()
    assert set(after["containers"]) == {"traefik", "authentik-postgres"}
    assert after["clock"] == during["clock"] > 0
    assert [call.exit for call in stack.calls()] == [0, 128 + signal.SIGTERM]


def test_a_call_that_runs_while_an_up_waits_sees_what_the_up_started(stack: Stack) -> None:
    stack.scenario(block_on="traefik")
    blocked = blocking_up(stack)
    assert stack.wait_until_blocked(blocked) == blocked.pid
    # As with docker: the containers of an `up --wait` exist while it waits for them.
    status = docker(stack, "compose", *project(stack), "ps", "--all", "--format",
                    "{{.Service}} {{.State}} {{.Health}}")
    blocked.send_signal(signal.SIGTERM)
    blocked.communicate(timeout=BOUND)
    assert status.stdout.decode().splitlines() == ["traefik running starting"]
