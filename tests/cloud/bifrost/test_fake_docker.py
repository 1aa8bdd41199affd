"""The fake docker keeps to the `docker compose up --wait` behaviour the bootstrap tests rely on."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fakes.bifrost.harness import Stack

COMPOSE = """
services:
  db:
    image: example/db:1.0.0
    healthcheck: {test: ["CMD", "true"]}
  migrate:
    image: example/app:1.0.0
    restart: "no"
    depends_on: {db: {condition: service_healthy}}
  app:
    image: example/app:1.0.0
    depends_on: {migrate: {condition: service_completed_successfully}}
"""


class Docker:
    def __init__(self, root: Path) -> None:
        self.stack = Stack(root)
        self.project = root / "project"
        self.project.mkdir()
        (self.project / "docker-compose.yml").write_text(COMPOSE)

    def scenario(self, **scenario: Any) -> None:
        self.stack.scenario(**scenario)

    def __call__(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        argv = [str(self.stack.bin / "docker"), *args]
        if args[:1] == ("compose",):
            argv[2:2] = ["--project-directory", str(self.project), "-f", str(self.project / "docker-compose.yml")]
        env = {**os.environ, "FAKE_DOCKER_HOME": str(self.stack.fake_home)}
        return subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env, check=False)

    def clock(self) -> float:
        return float(self.stack.fake_state()["clock"])


@pytest.fixture
def docker(tmp_path: Path) -> Docker:
    return Docker(tmp_path)


def test_waits_through_the_dependency_chain_on_the_virtual_clock(docker: Docker) -> None:
    docker.scenario(services={"db": {"ready_after": 20}, "migrate": {"exit_after": 30}, "app": {"ready_after": 5}})
    result = docker("compose", "up", "-d", "--wait", "--wait-timeout", "60", "migrate", "app")
    assert result.returncode == 0, result.stderr
    assert docker.clock() == 55


def test_a_one_shot_nobody_waits_for_fails_the_wait_even_with_exit_0(docker: Docker) -> None:
    docker.scenario()
    result = docker("compose", "up", "-d", "--wait", "--wait-timeout", "60", "migrate")
    assert result.returncode == 1
    assert "container migrate exited (0)" in result.stderr


def test_the_wait_timeout_ends_the_call(docker: Docker) -> None:
    docker.scenario(services={"db": {"never_ready": True}})
    result = docker("compose", "up", "-d", "--wait", "--wait-timeout", "45", "app")
    assert result.returncode == 1
    assert docker.clock() == 45
    status = docker("compose", "ps", "--all", "--format", "{{.Service}}|{{.State}}|{{.Health}}")
    assert status.stdout.splitlines() == ["app|created|", "db|running|starting", "migrate|created|"]


def test_a_failed_dependency_leaves_its_dependents_unstarted(docker: Docker) -> None:
    docker.scenario(services={"migrate": {"exit_after": 3, "exit_code": 1}})
    result = docker("compose", "up", "-d", "--wait", "--wait-timeout", "60", "app")
    assert result.returncode == 1
    status = docker("compose", "ps", "--all", "--format", "{{.Service}} {{.State}} {{.ExitCode}}", "migrate", "app")
    assert status.stdout.splitlines() == ["migrate exited 1", "app created "]


def test_every_call_is_recorded_with_its_stdin(docker: Docker) -> None:
    docker.scenario()
    docker("compose", "up", "-d", "--wait", "--wait-timeout", "60", "app")
    docker("exec", "-i", "authentik-worker", "ak", "shell", stdin="print('hi')\n")
    calls = docker.stack.calls()
    assert [call.argv[0] for call in calls] == ["compose", "exec"]
    assert calls[1].stdin == "print('hi')\n"
