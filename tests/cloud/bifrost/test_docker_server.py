"""The fake docker server keeps a call and its client's signal in the order they happened, and the calls of
one home from losing each other's state while one of them waits for real.

A signal before the call reached the server means no call; after it, the call is recorded, ended by the
signal, before the client exits. The windows are held open by the server's hooks or by hand-made requests,
not by timing; the waits below are safety bounds for a broken fake, not measurements.
"""

from __future__ import annotations

import array
import fcntl
import os
import queue
import select
import shutil
import signal
import socket
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fakes.bifrost import docker_server
from fakes.bifrost.harness import Stack, default_stop_signals
from tests.cloud.bifrost.test_docker_client import AWKWARD, BINARY_ISH, BOUND, docker, project

UTF8_TEXT = "grüße, 東京 ✓"


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


# -- a signal and its call ---------------------------------------------------------------------------


def signal_before_registering(request: docker_server.Request, connection: socket.socket) -> None:
    """The server's hook: the call is read, not yet registered; the client gets SIGTERM now, and the call goes
    on once the client has acted on it (sent word of it, or exited)."""
    os.kill(request.pid, signal.SIGTERM)
    select.select([connection], [], [], BOUND)


def test_a_signal_that_lands_before_the_server_registered_the_call_still_ends_the_call(stack: Stack) -> None:
    stack.scenario(block_on="traefik")
    with docker_server.holding(received=signal_before_registering):
        client = blocking_up(stack)
        client.communicate(timeout=BOUND)
    # The daemon saw the call: it is recorded, ended by the signal, before the client exits.
    assert client.returncode == 128 + signal.SIGTERM
    (up,) = stack.calls()
    assert (up.events, up.exit) == ({"signal": "SIGTERM"}, 128 + signal.SIGTERM)


def test_a_signal_to_a_call_that_does_not_wait_leaves_the_call_as_it_ran(stack: Stack) -> None:
    stack.scenario()
    with docker_server.holding(received=signal_before_registering):
        client = start_docker(stack, "info")
        out, _err = client.communicate(timeout=BOUND)
    # As docker's daemon answers a request whose CLI has gone: the call is done, the client ends by the signal.
    assert (client.returncode, out) == (128 + signal.SIGTERM, "")
    (info,) = stack.calls()
    assert (info.argv, info.exit) == (["info"], 0)


def until(condition: Callable[[], bool], what: str) -> None:
    """Looks again and again until `condition` holds (how long it takes is no matter), or fails naming `what`."""
    deadline = time.monotonic() + BOUND
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.01)


def unread_bytes(connection: socket.socket) -> int:
    """What came on the connection and is not read yet (tcp(7): SIOCINQ, the same request as FIONREAD)."""
    count = array.array("i", [0])
    fcntl.ioctl(connection.fileno(), termios.FIONREAD, count)
    return count[0]


def process_state(pid: int) -> str:
    """proc(5): the state letter of /proc/PID/stat (after the command name, which may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]


def signal_pending(pid: int, number: int) -> bool:
    """proc(5): whether signal `number`, sent to the process, is not yet delivered (ShdPnd, a bit mask)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("ShdPnd:"):
            return bool(int(line.split()[1], 16) >> (number - 1) & 1)
    raise AssertionError(f"no ShdPnd in /proc/{pid}/status")


def test_a_signal_while_the_request_is_written_is_held_until_it_is_whole(stack: Stack, tmp_path: Path) -> None:
    stack.scenario()
    # A stdin beyond what loopback buffers hold unread (about 4 MB): the client's write blocks until the server
    # reads. From a file, which bash reads in blocks (a pipe, a byte at a time).
    stdin = "token script line\n" * (8 << 20 >> 4)
    (tmp_path / "stdin").write_text(stdin)
    accepted: queue.Queue[socket.socket] = queue.Queue()
    release = threading.Event()

    def hold_unread(connection: socket.socket) -> None:
        accepted.put(connection)
        release.wait(BOUND)

    with docker_server.holding(accepted=hold_unread), (tmp_path / "stdin").open("rb") as stdin_file:
        client = start_docker(stack, "exec", "-i", "authentik-worker", "ak", "shell", stdin=stdin_file.fileno())
        connection = accepted.get(timeout=BOUND)
        # Bytes have come: the client is in its write of the request; it sleeps: the write is blocked.
        until(lambda: unread_bytes(connection) > 0 and process_state(client.pid) == "S", "the write blocked")
        client.send_signal(signal.SIGTERM)
        until(lambda: not signal_pending(client.pid, signal.SIGTERM), "the client got the signal")
        release.set()
        client.communicate(timeout=BOUND)
    # The request was whole, so the call is one the daemon saw: recorded before the client exits.
    assert client.returncode == 128 + signal.SIGTERM
    (call,) = stack.calls()
    assert (call.argv[:2], call.exit, call.stdin == stdin) == (["exec", "-i"], 1, True)


def test_a_signal_before_the_call_is_sent_ends_the_client_with_no_call(stack: Stack) -> None:
    stack.scenario()
    client = start_docker(stack, "exec", "-i", "authentik-worker", "ak", "shell", stdin=subprocess.PIPE)
    # It sleeps: in its read of stdin (the one place it waits before it connects), its traps set.
    until(lambda: process_state(client.pid) == "S", "the client waited for its stdin")
    client.send_signal(signal.SIGTERM)
    client.communicate(timeout=BOUND)
    assert client.returncode == 128 + signal.SIGTERM
    assert stack.calls() == []


# -- hand-made requests: the server's side of the wire -------------------------------------------------


@pytest.fixture
def stand_in(stack: Stack) -> Iterator[subprocess.Popen[bytes]]:
    """A process with the stack's environment, named as the client of a hand-made request."""
    sleep = shutil.which("sleep") or "/bin/sleep"
    process = subprocess.Popen([sleep, "600"], env={"FAKE_DOCKER_HOME": str(stack.fake_home)})
    yield process
    process.kill()
    process.wait()


def call_request(pid: int, *argv: str) -> bytes:
    """A request as the client writes it (docker_client.bash)."""
    fields = [b"call", docker_server.TOKEN.encode(), str(pid).encode(), str(len(argv)).encode(),
              *map(os.fsencode, argv), b"0", b""]
    return b"".join(field + b"\0" for field in fields)


def exchange(data: bytes, close_writing: bool = False) -> bytes:
    """Sends `data` to the server as a client; all it answers, until it closes the connection."""
    with socket.create_connection(("127.0.0.1", docker_server.port()), timeout=BOUND) as connection:
        connection.sendall(data)
        if close_writing:
            connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(1 << 16):
            answer += chunk
        return answer


def exit_code(answer: bytes) -> int:
    fields = answer.split(b"\0")
    return int(fields[fields.index(b"exit") + 1])


def test_a_request_without_the_servers_token_is_no_call(stack: Stack, stand_in: subprocess.Popen[bytes],
                                                         tmp_path: Path) -> None:
    # Another local user can reach the port: unanswered, and the file its call names is never read.
    private = tmp_path / "private.yml"
    private.write_text("password: [not yaml\n")
    whole = call_request(stand_in.pid, "compose", "-f", str(private), "config")
    forged = whole.replace(docker_server.TOKEN.encode(), b"0" * len(docker_server.TOKEN), 1)  # a guessed token
    assert exchange(forged, close_writing=True) == b""
    assert stack.calls() == []


@pytest.mark.parametrize("cut", [1, 3, 20])
def test_a_request_cut_short_is_no_call(stack: Stack, stand_in: subprocess.Popen[bytes], cut: int) -> None:
    # As a write that a signal failed leaves it: a start of the request, then the client exits.
    whole = call_request(stand_in.pid, "info", "an argument")
    assert exchange(whole[:-cut], close_writing=True) == b""
    assert stack.calls() == []
    assert exit_code(exchange(whole)) == 0
    assert [call.argv for call in stack.calls()] == [["info", "an argument"]]


def test_a_signal_sent_with_its_request_ends_the_wait_of_the_call(
        stack: Stack, stand_in: subprocess.Popen[bytes]) -> None:
    stack.scenario(block_on="traefik")
    # One write: the signal is read with the request, before the call waits.
    up = call_request(stand_in.pid, "compose", *project(stack), "up", "-d", "--wait", "traefik")
    assert exit_code(exchange(up + b"signal\0" + b"2\0")) == 128 + signal.SIGINT
    (call,) = stack.calls()
    assert (call.events, call.exit) == ({"signal": "SIGINT"}, 128 + signal.SIGINT)


def test_a_client_gone_without_a_signal_ends_the_wait(stack: Stack, stand_in: subprocess.Popen[bytes]) -> None:
    stack.scenario(block_on="traefik")
    up = call_request(stand_in.pid, "compose", *project(stack), "up", "-d", "--wait", "traefik")
    # Nobody is left to signal the call (the client was killed): it ends as the daemon ends an `up`.
    assert exit_code(exchange(up, close_writing=True)) == 0
    (call,) = stack.calls()
    assert call.events == {"traefik": "Created"}


def test_a_request_in_a_utf8_locale_arrives_byte_for_byte(stack: Stack) -> None:
    stack.scenario()
    stdin = f"{UTF8_TEXT}\n{BINARY_ISH}\n"
    env = {"LC_ALL": "C.UTF-8"}
    result = docker(stack, "exec", "-i", "authentik-worker", "ak", "shell", stdin=os.fsencode(stdin), env=env)
    assert b"is not running" in result.stderr
    docker(stack, "info", UTF8_TEXT, AWKWARD, env=env)
    exec_call, info_call = stack.calls()
    assert exec_call.stdin == stdin
    assert info_call.argv == ["info", UTF8_TEXT, AWKWARD]


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
