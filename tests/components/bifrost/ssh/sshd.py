"""Debian's sshd on loopback in a private mount namespace, set up as cloud-init sets up the VPS.

Inside the namespace (`unshare --mount --propagation private`), /etc is a tmpfs whose entries are
symlinks into a read-only bind of the real /etc, except for /etc/ssh (the Debian sshd_config, the
program's hardening drop-in and host key, where cloud-init puts them), an empty /etc/bifrost, and /etc/passwd,
whose root has a fresh home directory (as on a new VPS, so no dotfile of this machine runs in a session).
/run is a tmpfs (sshd's privilege separation directory) and /usr/local/bin holds the fake tools (docker,
cloud-init, systemctl). So the program's commands run as root against /etc/bifrost, and nothing they or sshd do can
reach the machine's real /etc, /run or /usr/local/bin. What lands in /etc/bifrost is read back through
the temp dir mounted there.

Each step is its own SSH session (its own exec request or SFTP subsystem, stdin and exit status), carried by one
shared connection per pinned host key (OpenSSH's ControlMaster): the key exchange, the host key check and the
login happen once per key, not once per step, which was most of these tests' time. A connection that pins
another key is a new connection with its own host key check (`test_another_host_key_is_refused...`).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = Path("/usr/sbin/sshd")
SFTP_SERVER = Path("/usr/lib/openssh/sftp-server")
START_BOUND = 30.0  # seconds: a safety bound for sshd to listen, not a measurement
START_ATTEMPTS = 3

# The namespace's set-up, run by /bin/sh as root inside `unshare`; $1 is the work directory.
NAMESPACE_SETUP = r"""
set -eu
work="$1"
mkdir -p "$work/real-etc"
mount --bind /etc "$work/real-etc"
mount -o remount,bind,ro "$work/real-etc"
mount -t tmpfs -o mode=0755 tmpfs /etc
for entry in "$work"/real-etc/* "$work"/real-etc/.[!.]*; do
  [ -e "$entry" ] || [ -L "$entry" ] || continue
  name="${entry##*/}"
  case "$name" in ssh|bifrost|passwd) continue ;; esac
  ln -s "$entry" "/etc/$name"
done
# root's home is a fresh directory, as on a new VPS: the shell sshd starts for each session reads root's
# ~/.bashrc (Debian's bash does when sshd runs it), and this machine's own must not run there.
mkdir -p -m 0700 "$work/root-home"
awk -F: -v OFS=: -v home="$work/root-home" '$1 == "root" { $6 = home } { print }' "$work/real-etc/passwd" >/etc/passwd
cp -a "$work/etc-ssh" /etc/ssh
mkdir -m 0755 /etc/bifrost
mount --bind "$work/bifrost" /etc/bifrost
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -m 0755 /run/sshd
mount --bind "$work/local-bin" /usr/local/bin
shift
exec "$@"
"""


def missing_tools() -> str | None:
    """Why the real-SSH tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "the real-SSH tests need root (a private mount namespace and sshd)"
    if not SSHD.exists() or not SFTP_SERVER.exists():
        return "sshd is not installed (Debian package openssh-server; .ci/run installs it)"
    for tool in ("unshare", "mount", "ssh", "sftp"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (util-linux, mount and openssh-client; .ci/run installs them)"
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True,
                           text=True, check=False)
    if probe.returncode != 0:
        return f"unshare --mount is not permitted here: {probe.stderr.strip()}"
    return None


def skip_without_sshd() -> None:
    reason = missing_tools()
    if reason is not None:
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Session:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Sshd:
    """One sshd in its own mount namespace; `run` and `put` reach it as pulumi-command does."""

    def __init__(self, work: Path, host_private_key: str, hardening: str, client_private_key: str,
                 client_public_key: str, tools: dict[str, str]) -> None:
        self.work = work
        self.bifrost = work / "bifrost"
        self.port = free_port()
        for directory in ("bifrost", "local-bin", "etc-ssh/sshd_config.d", "client"):
            (work / directory).mkdir(parents=True, exist_ok=True)
        self.bifrost.chmod(0o755)
        etc_ssh = work / "etc-ssh"
        for name in ("sshd_config", "moduli"):
            if Path("/etc/ssh", name).exists():
                shutil.copy2(Path("/etc/ssh", name), etc_ssh / name)
        (etc_ssh / "sshd_config.d" / "50-bifrost.conf").write_text(hardening)
        host_key = etc_ssh / "ssh_host_ed25519_key"
        host_key.write_text(host_private_key)
        host_key.chmod(0o600)
        for name, text in tools.items():
            tool = work / "local-bin" / name
            tool.write_text(text)
            tool.chmod(0o755)
        self.authorized_keys = work / "authorized_keys"
        self.authorized_keys.write_text(client_public_key + "\n")
        self.identity = work / "client" / "id_ed25519"
        self.identity.write_text(client_private_key)
        self.identity.chmod(0o600)
        self.log = work / "sshd.log"
        # The shared connections' sockets, in a short folder of their own: a Unix socket path holds 108 bytes at
        # most, and ssh adds 17 to it while it sets one up; a test's own folder can be longer than that allows.
        self.sockets = Path(tempfile.mkdtemp(prefix="mux-"))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Starts sshd and returns once its log says it listens on its port. The port was free when it was
        picked; if another process took it meanwhile, sshd cannot bind it and starts again on another one."""
        for _ in range(START_ATTEMPTS):
            self._launch()
            if self._listening():
                return
            self.port = free_port()
        raise AssertionError(f"sshd found no free port in {START_ATTEMPTS} attempts:\n{self.log.read_text()}")

    def _launch(self) -> None:
        options = {
            "Port": str(self.port), "ListenAddress": "127.0.0.1",
            "HostKey": "/etc/ssh/ssh_host_ed25519_key", "PidFile": "none", "UsePAM": "no",
            "AuthorizedKeysFile": str(self.authorized_keys), "StrictModes": "no",
        }  # Debian's sshd_config already serves sftp with SFTP_SERVER
        argv = [str(SSHD), "-D", "-e"] + [f"-o{key}={value}" for key, value in options.items()]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", NAMESPACE_SETUP, "setup",
                 str(self.work), *argv], stdout=log, stderr=subprocess.STDOUT)

    def _listening(self) -> bool:
        """True once sshd logs that it listens on its port (a connection alone could reach another process that
        took the port); False when it could not bind the port; any other end of sshd fails the test."""
        assert self.process is not None
        ready = f"Server listening on 127.0.0.1 port {self.port}."
        deadline = time.monotonic() + START_BOUND
        while True:
            log = self.log.read_text(errors="replace")
            if ready in log:
                return True
            if self.process.poll() is not None:
                if "Address already in use" in log or "Cannot bind any address" in log:
                    return False
                raise AssertionError(f"sshd ended at start:\n{log}")
            if time.monotonic() > deadline:
                raise AssertionError(f"sshd did not listen:\n{log}")
            time.sleep(0.02)

    def stop(self) -> None:
        for path in self.sockets.glob("mux-*"):
            subprocess.run(["ssh", "-o", f"ControlPath={path}", "-O", "exit", "127.0.0.1"], capture_output=True,
                           timeout=10, check=False)
        shutil.rmtree(self.sockets, ignore_errors=True)
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def known_hosts(self, host_key: str) -> Path:
        """A known_hosts file that pins exactly this key for the server (as connection.hostKey does)."""
        path = self.work / "client" / f"known_hosts-{abs(hash(host_key))}"
        path.write_text(f"[127.0.0.1]:{self.port} {host_key}\n")
        return path

    def control_path(self, host_key: str) -> Path:
        """The shared connection of every session that pins this host key (one per key, never across keys)."""
        return self.sockets / f"mux-{hashlib.sha256(host_key.encode()).hexdigest()[:16]}"

    def _options(self, host_key: str) -> list[str]:
        return ["-o", "ControlMaster=auto", "-o", f"ControlPath={self.control_path(host_key)}",
                "-o", "ControlPersist=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                "-o", "IdentitiesOnly=yes",
                "-o", f"UserKnownHostsFile={self.known_hosts(host_key)}", "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", "-i", str(self.identity),
                "-F", "/dev/null", "-o", f"Port={self.port}"]

    def run(self, command: str, host_key: str, stdin: str = "", user: str = "root") -> Session:
        """Runs the command string as the SSH exec request, the way pulumi-command's `create` goes."""
        completed = subprocess.run(["ssh", *self._options(host_key), f"{user}@127.0.0.1", command], input=stdin,
                                   capture_output=True, text=True, timeout=120, check=False)
        return Session(completed.returncode, completed.stdout, completed.stderr)

    def put(self, local: Path, remote: str, host_key: str) -> Session:
        """Uploads one file over SFTP, as CopyToRemote does."""
        batch = f"put {shlex.quote(str(local))} {shlex.quote(remote)}\n"
        completed = subprocess.run(["sftp", "-b", "-", *self._options(host_key), "root@127.0.0.1"], input=batch,
                                   capture_output=True, text=True, timeout=120, check=False)
        return Session(completed.returncode, completed.stdout, completed.stderr)
