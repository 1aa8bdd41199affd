"""The bash `docker` client hands each call to the fake docker server whole, and replays its answer exactly.

What it carries is what the leak checks read (argv, stdin, environment): a value lost or cut on the way
would hide a leak, so every kind of value the framing could break on goes through here.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fakes.bifrost import docker_server
from fakes.bifrost.harness import BASH, Result, Stack, default_stop_signals
from tests.cloud.bifrost.test_bootstrap import HAPPY, check
from tests.components.bifrost.ssh.sshd import free_port

BOUND = 30  # seconds: a safety bound for a broken client, not a measurement
STRACE = shutil.which("strace")

# Newlines (a trailing one too), `=`, quotes, tabs, NUL-free control bytes and bytes that are not UTF-8.
AWKWARD = "first line\nsecond = line 'quoted' \"double\"\t$HOME \\n\n"
BINARY_ISH = os.fsdecode(bytes(range(1, 256)))


def docker(stack: Stack, *args: str, stdin: bytes = b"", env: dict[str, str] | None = None,
           ) -> subprocess.CompletedProcess[bytes]:
    environment = {"PATH": "/usr/bin:/bin", "FAKE_DOCKER_HOME": str(stack.fake_home), **(env or {})}
    return subprocess.run([stack.bin / "docker", *args], input=stdin, capture_output=True, env=environment,
                          timeout=BOUND, check=False)


def project(stack: Stack) -> list[str]:
    """The options bootstrap.sh gives every compose command."""
    return ["--project-directory", str(stack.directory), "-f", str(stack.directory / "docker-compose.yml")]


@pytest.fixture
def stack(tmp_path: Path) -> Stack:
    stack = Stack(tmp_path)
    stack.scenario()
    return stack


def test_the_environment_arrives_exactly(stack: Stack) -> None:
    extra = {"AWKWARD": AWKWARD, "BINARY_ISH": BINARY_ISH, "EMPTY": "", "lower_case": "x", "NOT-A-NAME": "y"}
    docker(stack, "info", env=extra)
    (call,) = stack.calls()
    # What the docker process was started with: no more (none of the client's variables), no less.
    assert call.env == {"PATH": "/usr/bin:/bin", "FAKE_DOCKER_HOME": str(stack.fake_home), **extra}


def test_argv_and_stdin_arrive_whole(stack: Stack) -> None:
    stdin = f"{AWKWARD}{BINARY_ISH}\n\n"
    docker(stack, "exec", "-i", "authentik-worker", "ak", "shell", stdin=os.fsencode(stdin))
    docker(stack, "info", AWKWARD, "", BINARY_ISH, stdin=b"not read: no -i")
    exec_call, info_call = stack.calls()
    assert exec_call.stdin == stdin
    assert info_call.argv == ["info", AWKWARD, "", BINARY_ISH]
    assert info_call.stdin == ""


def test_stdout_stderr_and_the_exit_code_are_replayed_apart(stack: Stack) -> None:
    ok = docker(stack, "info")
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, b"27.5.1\n", b"")
    stack.scenario(daemon_down=True)
    down = docker(stack, "info")
    assert (down.returncode, down.stdout) == (1, b"")
    assert down.stderr == b"Cannot connect to the Docker daemon at unix:///var/run/docker.sock.\n"
    unsupported = docker(stack, "pull", "x")
    assert unsupported.returncode == 1
    assert unsupported.stderr == b"fake docker: unsupported command 'pull'\n"


def test_lines_with_awkward_bytes_come_back_as_they_were(stack: Stack) -> None:
    lines = [AWKWARD.replace("\n", " "), BINARY_ISH.replace("\n", " "), ""]
    stack.scenario(logs={"db": lines})
    result = docker(stack, "compose", *project(stack), "logs", "db")
    assert result.stdout == os.fsencode("".join(line + "\n" for line in lines))


def test_the_exit_code_of_a_failed_config_is_replayed(stack: Stack) -> None:
    stack.scenario(config_invalid=True)
    result = docker(stack, "compose", *project(stack), "config")
    assert result.returncode == 15
    assert result.stderr.startswith(b"failed to read env/traefik.env: line 1:")


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_blocked_is_recorded_before_the_client_exits_with_its_code(
        stack: Stack, number: signal.Signals) -> None:
    stack.scenario(block_on="traefik")
    client = subprocess.Popen(
        [stack.bin / "docker", "compose", *project(stack), "up", "-d", "--wait", "traefik"],
        env={"PATH": "/usr/bin:/bin", "FAKE_DOCKER_HOME": str(stack.fake_home)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        preexec_fn=default_stop_signals,  # noqa: PLW1509 (bash cannot trap a signal it starts with ignored)
    )
    assert stack.wait_until_blocked(client) == client.pid
    client.send_signal(number)
    client.communicate(timeout=BOUND)
    assert client.returncode == 128 + number
    (up,) = stack.calls()
    assert (up.events, up.exit) == ({"signal": number.name}, 128 + number)


def processes_started(trace: Path) -> list[str]:
    """The lines of an `strace -f -e trace=process` log that start a process or a program."""
    return [line for line in trace.read_text().splitlines() if re.search(r"\b(clone3?|v?fork|execve)\(", line)]


@pytest.mark.skipif(STRACE is None, reason="strace is not installed (Debian package strace)")
@pytest.mark.parametrize("signalled", [False, True], ids=["a call", "a call ended by a signal"])
def test_the_client_starts_no_process(stack: Stack, tmp_path: Path, signalled: bool) -> None:
    assert STRACE is not None
    trace = tmp_path / "trace"
    stack.scenario(block_on="traefik" if signalled else None)
    args = ["compose", *project(stack), "up", "-d", "--wait", "traefik"] if signalled else ["info"]
    tracer = subprocess.Popen(
        [STRACE, "-f", "-qq", "-o", trace, "-e", "trace=process", stack.bin / "docker", *args],
        env={"PATH": "/usr/bin:/bin", "FAKE_DOCKER_HOME": str(stack.fake_home)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, preexec_fn=default_stop_signals,  # noqa: PLW1509 (as above)
    )
    if signalled:
        os.kill(stack.wait_until_blocked(tracer), signal.SIGTERM)
    tracer.communicate(timeout=BOUND)
    assert tracer.returncode == (128 + signal.SIGTERM if signalled else 0)
    # Its own start is the one execve; no clone or fork, not even in the trap.
    assert [line.split()[1].split("(")[0] for line in processes_started(trace)] == ["execve"]


def test_interrupt_on_refuses_to_kill_the_process_group_of_the_server(stack: Stack) -> None:
    stack.scenario(interrupt_on="traefik")
    # The client runs in this process's group: killing its group would kill the fake docker server too.
    result = docker(stack, "compose", *project(stack), "up", "-d", "--wait", "traefik")
    assert result.returncode == 1
    assert b"interrupt_on would kill the fake's own process group" in result.stderr
    assert "interrupted" not in stack.fake_state()


def test_without_fake_docker_home_it_exits_125_naming_it(stack: Stack) -> None:
    result = subprocess.run([stack.bin / "docker", "info"], env={"PATH": "/usr/bin:/bin"}, capture_output=True,
                            timeout=BOUND, check=False)
    assert result.returncode == 125
    assert b"FAKE_DOCKER_HOME is not set" in result.stderr
    assert stack.calls() == []


def test_without_a_server_it_exits_125_naming_the_port(tmp_path: Path) -> None:
    port = free_port()
    client = tmp_path / "docker"
    client.write_text(docker_server.client_script(port, BASH))
    client.chmod(0o755)
    result = subprocess.run([client, "info"], env={"FAKE_DOCKER_HOME": str(tmp_path)}, capture_output=True,
                            timeout=BOUND, check=False)
    assert result.returncode == 125
    assert f"no fake docker server listens on 127.0.0.1:{port}".encode() in result.stderr


def test_two_stacks_at_once_keep_their_own_files(tmp_path: Path) -> None:
    stacks = [Stack(tmp_path / name) for name in ("a", "b")]
    results: dict[int, Result] = {}

    def run(index: int) -> None:
        stacks[index].scenario()
        results[index] = stacks[index].run()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BOUND)
    for index, stack in enumerate(stacks):
        check(results[index], stack, 0, HAPPY)
        assert {call.env["FAKE_DOCKER_HOME"] for call in results[index].calls} == {str(stack.fake_home)}


def test_fake_docker_py_runs_a_call_by_itself(stack: Stack) -> None:
    script = Path(docker_server.__file__).with_name("fake_docker.py")
    result = subprocess.run([sys.executable, script, "info"], env={"FAKE_DOCKER_HOME": str(stack.fake_home)},
                            capture_output=True, text=True, timeout=BOUND, check=False)
    assert (result.returncode, result.stdout) == (0, "27.5.1\n")
    assert [call.argv for call in stack.calls()] == [["info"]]
