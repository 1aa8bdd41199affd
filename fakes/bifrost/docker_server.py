"""The fake docker server: runs the calls of the `docker` clients (docker_client.bash) in this process.

One server per process, on an ephemeral port of 127.0.0.1, started by the first `port()` and shared by every
Stack: a call carries its FAKE_DOCKER_HOME in its environment, so each Stack keeps its own files. Each
connection is served by its own daemon thread; the calls of one FAKE_DOCKER_HOME run one at a time (under
that home's lock, released while a call waits for real: block_on, real_time).

The wire format is documented in docker_client.bash: NUL-terminated fields, text as UTF-8 (bytes that are
not UTF-8 pass through as surrogate escapes).
"""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import threading
from collections.abc import Iterator

from fakes.bifrost import fake_docker

CLIENT_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "docker_client.bash")
SHEBANG = "#!/bin/bash\n"
PORT_LINE = "port=0 # the harness writes its server's port here\n"
# How long a signalled client waits for its call to be recorded: a safety bound, not a measurement.
SIGNAL_RECORD_BOUND = 10.0


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


class Fields:
    """The NUL-terminated fields a client sends, read as they arrive (the client keeps its end open)."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.buffer = b""
        self.start = 0

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        while (end := self.buffer.find(b"\0", self.start)) < 0:
            chunk = self.connection.recv(1 << 16)
            if not chunk:
                raise EOFError("the docker client closed the connection in the middle of its request")
            self.buffer = self.buffer[self.start:] + chunk
            self.start = 0
        field = self.buffer[self.start:end]
        self.start = end + 1
        return field

    def text(self) -> str:
        return decode(next(self))

    def number(self) -> int:
        return int(next(self))


class Request:
    def __init__(self, pid: int, argv: list[str], env: dict[str, str], stdin: str) -> None:
        self.pid = pid
        self.argv = argv
        self.env = env
        self.stdin = stdin

    @classmethod
    def read(cls, fields: Fields) -> Request:
        """The rest of a `call` request."""
        pid = fields.number()
        argv = [fields.text() for _ in range(fields.number())]
        has_stdin = fields.number()
        stdin = fields.text()
        return cls(pid, argv, environment_of(pid), stdin if has_stdin else "")


def environment_of(pid: int) -> dict[str, str]:
    """The environment process `pid` was started with (proc(5): /proc/PID/environ), as os.environ reads its
    own: entries without `=` are skipped, the first of a repeated name wins."""
    with open(f"/proc/{pid}/environ", "rb") as file:
        entries = file.read().split(b"\0")
    env: dict[str, str] = {}
    for entry in entries:
        name, equals, value = entry.partition(b"=")
        if equals:
            env.setdefault(decode(name), decode(value))
    return env


def reply_bytes(reply: fake_docker.Reply) -> bytes:
    records = [("out", line) for line in reply.stdout] + [("err", line) for line in reply.stderr]
    records.append(("exit", str(reply.code)))
    return b"".join(encode(kind) + b"\0" + encode(text.replace("\0", "\\0")) + b"\0" for kind, text in records)


class ClientCaller:
    """The client process of one call: its PID, the signal it reports, its home's lock (held by the call)."""

    def __init__(self, pid: int, home_lock: threading.Lock) -> None:
        self.pid = pid
        self.home_lock = home_lock
        self.signalled = threading.Event()
        self.signal_number = 0
        self.recorded = threading.Event()

    def wait(self, seconds: float) -> int | None:
        self.home_lock.release()
        try:
            arrived = self.signalled.wait(seconds)
        finally:
            self.home_lock.acquire()
        return self.signal_number if arrived else None

    def process_group(self) -> int | None:
        group = os.getpgid(self.pid)
        return None if group == os.getpgrp() else group

    def local_path(self, path: str) -> str:
        """Through /proc/PID (proc(5): `root` and `cwd`) when the client sees other mounts (the SSH tests'
        sshd runs in its own mount namespace) or the path is relative."""
        if not os.path.isabs(path):
            return os.path.join(f"/proc/{self.pid}/cwd", path)
        if os.readlink(f"/proc/{self.pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt"):
            return f"/proc/{self.pid}/root{path}"
        return path

    def deliver(self, number: int) -> None:
        """The client got signal `number`: ends a wait of the call, and returns once the call is recorded."""
        self.signal_number = number
        self.signalled.set()
        self.recorded.wait(SIGNAL_RECORD_BOUND)


class Registry:
    """The calls in progress, by client PID, and one lock per FAKE_DOCKER_HOME."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.callers: dict[int, ClientCaller] = {}
        self.home_locks: dict[str, threading.Lock] = {}

    def open(self, request: Request) -> ClientCaller:
        with self.lock:
            home_lock = self.home_locks.setdefault(request.env.get("FAKE_DOCKER_HOME", ""), threading.Lock())
            caller = ClientCaller(request.pid, home_lock)
            self.callers[request.pid] = caller
        return caller

    def close(self, caller: ClientCaller) -> None:
        with self.lock:
            if self.callers.get(caller.pid) is caller:
                del self.callers[caller.pid]
        caller.recorded.set()

    def find(self, pid: int) -> ClientCaller | None:
        with self.lock:
            return self.callers.get(pid)


def internal_error(error: Exception) -> fake_docker.Reply:
    """The error and where it was raised; not a formatted traceback (Python 3.11 parses source for that,
    which is not safe beside other threads' parses)."""
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f" at {os.path.basename(frame.tb_frame.f_code.co_filename)}:{frame.tb_lineno}" if frame else ""
    return fake_docker.Reply(125, [], [f"fake docker: internal error {type(error).__name__}: {error}{where}"])


def serve(connection: socket.socket, registry: Registry) -> None:
    fields = Fields(connection)
    kind = next(fields)
    if kind == b"signal":
        pid, number = fields.number(), fields.number()
        caller = registry.find(pid)
        if caller is not None:
            caller.deliver(number)
        connection.sendall(b"recorded\0")
        return
    if kind != b"call":
        raise ValueError(f"unknown request kind {kind!r}")
    request = Request.read(fields)
    if "FAKE_DOCKER_HOME" not in request.env:
        reply = fake_docker.Reply(125, [], ["fake docker: FAKE_DOCKER_HOME is not in the call's environment"])
    else:
        caller = registry.open(request)
        try:
            with caller.home_lock:
                reply = fake_docker.call(request.argv, request.stdin, request.env, caller)
        except fake_docker.CallerKilled:
            return
        except Exception as error:  # the client prints it: the test that ran it fails with it
            reply = internal_error(error)
        finally:
            registry.close(caller)
    # A client that has gone (a signal ended it) misses the reply: the call is recorded all the same.
    with contextlib.suppress(OSError):
        connection.sendall(reply_bytes(reply))


class Handler(socketserver.BaseRequestHandler):
    server: Server

    def handle(self) -> None:
        # A client that went away mid-request, or not a client at all: nothing to answer.
        with contextlib.suppress(EOFError, ValueError, OSError):
            serve(self.request, self.server.registry)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.registry = Registry()
        self.owner = os.getpid()  # a forked child has the object but not the thread serving it

    def handle_error(self, request: object, client_address: object) -> None:
        """Handler lets nothing out; this keeps socketserver from formatting a traceback regardless."""


_server: Server | None = None
_server_lock = threading.Lock()


def port() -> int:
    """The port of this process's server, started at the first call."""
    global _server  # noqa: PLW0603 (one server per process, started lazily)
    with _server_lock:
        if _server is None or _server.owner != os.getpid():
            server = Server()
            threading.Thread(target=server.serve_forever, name="fake-docker-server", daemon=True).start()
            _server = server
        result: int = _server.server_address[1]
        return result


def client_script(server_port: int, bash: str) -> str:
    """The client, run by `bash` (a path), bound to the server on `server_port`."""
    with open(CLIENT_SOURCE) as file:
        source = file.read()
    if not source.startswith(SHEBANG) or source.count(PORT_LINE) != 1:
        raise RuntimeError(f"{CLIENT_SOURCE} must start with {SHEBANG.strip()!r} and hold the line "
                           f"{PORT_LINE.strip()!r} once")
    return f"#!{bash}\n" + source[len(SHEBANG):].replace(PORT_LINE, f"port={server_port}\n")
