"""The fake docker server: runs the calls of the `docker` clients (docker_client.bash) in this process.

One server per process, on an ephemeral port of 127.0.0.1, started by the first `port()` and shared by every
Stack: a call carries its FAKE_DOCKER_HOME in its environment, so each Stack keeps its own files. Each
connection is served by its own daemon thread; the calls of one FAKE_DOCKER_HOME run one at a time (under
that home's lock, released while a call waits for real: block_on, real_time).

The wire format is documented in docker_client.bash: NUL-terminated fields, text as UTF-8 (bytes that are
not UTF-8 pass through as surrogate escapes). A client's signal comes on its call's own connection, behind
the request, so the server cannot meet it before the call: a wait of the call (ClientCaller.wait) reads it
and ends on it; a call that does not wait ends as it would have. Either way the reply, which the client
awaits before it exits, is sent once the call is recorded.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import select
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator

from fakes.bifrost import fake_docker

CLIENT_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "docker_client.bash")
SHEBANG = "#!/bin/bash\n"
PORT_LINE = "port=0 # the harness writes its server's port here\n"
TOKEN_LINE = 'token="" # the harness writes its server\'s token here\n'
# The clients this process wrote carry it; a request without it (another local user on the loopback port) is no
# call: the server would read the environment of the process it names and the files its call names.
TOKEN = secrets.token_hex(16)


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
        end = self.buffer.find(b"\0", self.start)
        if end < 0:
            # Chunks joined once the field's end has come: a field of megabytes (a big stdin) costs no more
            # than its bytes.
            pieces = [self.buffer[self.start:]]
            while (found := (chunk := self.receive()).find(b"\0")) < 0:
                pieces.append(chunk)
            end = sum(map(len, pieces)) + found
            pieces.append(chunk)
            self.buffer = b"".join(pieces)
            self.start = 0
        field = self.buffer[self.start:end]
        self.start = end + 1
        return field

    def receive(self) -> bytes:
        chunk = self.connection.recv(1 << 16)
        if not chunk:
            raise EOFError("the docker client closed the connection in the middle of its request")
        return chunk

    def arriving(self, seconds: float) -> bool:
        """Whether bytes of a next field have come (read already, or on the connection) within `seconds`: a
        closed connection counts, its end is there to read."""
        if self.start < len(self.buffer):
            return True
        poller = select.poll()  # not select(): any descriptor number
        poller.register(self.connection, select.POLLIN)
        return bool(poller.poll(seconds * 1000))

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
        """The rest of a `call` request; EOFError when the client sent less than a whole one (a failed write
        ends bash's printf, so what arrives is a start of the request, then the end of the connection: no
        call)."""
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
    """The client process of one call: its PID, its connection (where its signal comes), its home's lock (held
    by the call)."""

    def __init__(self, pid: int, fields: Fields, home_lock: threading.Lock) -> None:
        self.pid = pid
        self.fields = fields
        self.home_lock = home_lock
        self.signal_number: int | None = None

    def wait(self, seconds: float) -> int | None:
        """Until the client's signal comes (at once if it came before), up to `seconds`; other calls of the
        home run meanwhile. A client gone without a signal (SIGKILL) ends the wait too: nobody is left to
        signal it."""
        if self.signal_number is not None:
            return self.signal_number
        self.home_lock.release()
        try:
            if self.fields.arriving(seconds):
                self.read_signal()
        finally:
            self.home_lock.acquire()
        return self.signal_number

    def read_signal(self) -> None:
        """The client's `signal NUMBER`; nothing when the client has gone."""
        with contextlib.suppress(EOFError, OSError):
            kind = next(self.fields)
            if kind != b"signal":
                raise ValueError(f"unknown notice kind {kind!r} after a call")
            self.signal_number = self.fields.number()

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


class Registry:
    """One lock per FAKE_DOCKER_HOME."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.home_locks: dict[str, threading.Lock] = {}

    def open(self, request: Request, fields: Fields) -> ClientCaller:
        with self.lock:
            home_lock = self.home_locks.setdefault(request.env.get("FAKE_DOCKER_HOME", ""), threading.Lock())
        return ClientCaller(request.pid, fields, home_lock)


def internal_error(error: Exception) -> fake_docker.Reply:
    """The error and where it was raised; not a formatted traceback (Python 3.11 parses source for that,
    which is not safe beside other threads' parses)."""
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f" at {os.path.basename(frame.tb_frame.f_code.co_filename)}:{frame.tb_lineno}" if frame else ""
    return fake_docker.Reply(125, [], [f"fake docker: internal error {type(error).__name__}: {error}{where}"])


OnAccepted = Callable[[socket.socket], None]
OnReceived = Callable[[Request, socket.socket], None]


class Hooks:
    """Where a test holds a call, to order a signal or another call into a window; None: no hook."""

    def __init__(self, accepted: OnAccepted | None = None, received: OnReceived | None = None) -> None:
        self.accepted = accepted  # a call's connection, before its request is read
        self.received = received  # its request, read, before the call is registered


hooks = Hooks()


@contextlib.contextmanager
def holding(accepted: OnAccepted | None = None, received: OnReceived | None = None) -> Iterator[None]:
    """The server's hooks while the block runs (one test at a time sets them: they hold every call)."""
    global hooks  # noqa: PLW0603 (the server's one set of hooks)
    hooks = Hooks(accepted, received)
    try:
        yield
    finally:
        hooks = Hooks()


def serve(connection: socket.socket, registry: Registry) -> None:
    if hooks.accepted is not None:
        hooks.accepted(connection)
    fields = Fields(connection)
    kind = next(fields)
    if kind != b"call":
        raise ValueError(f"unknown request kind {kind!r}")
    if not hmac.compare_digest(next(fields), TOKEN.encode()):
        raise PermissionError("a request without this server's token")
    request = Request.read(fields)
    if hooks.received is not None:
        hooks.received(request, connection)
    if "FAKE_DOCKER_HOME" not in request.env:
        reply = fake_docker.Reply(125, [], ["fake docker: FAKE_DOCKER_HOME is not in the call's environment"])
    else:
        caller = registry.open(request, fields)
        try:
            with caller.home_lock:
                reply = fake_docker.call(request.argv, request.stdin, request.env, caller)
        except fake_docker.CallerKilled:
            return
        except Exception as error:  # the client prints it: the test that ran it fails with it
            reply = internal_error(error)
    # A client that has gone (SIGKILL) misses the reply: the call is recorded all the same.
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
    if not source.startswith(SHEBANG) or source.count(PORT_LINE) != 1 or source.count(TOKEN_LINE) != 1:
        raise RuntimeError(f"{CLIENT_SOURCE} must start with {SHEBANG.strip()!r} and hold the lines "
                           f"{PORT_LINE.strip()!r} and {TOKEN_LINE.strip()!r} once")
    return (f"#!{bash}\n" + source[len(SHEBANG):].replace(PORT_LINE, f"port={server_port}\n")
            .replace(TOKEN_LINE, f"token={TOKEN}\n"))
