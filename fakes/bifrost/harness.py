"""Runs cloud/bifrost/bootstrap.sh against the fake docker in a throwaway /etc/bifrost.

The `docker` on a Stack's PATH is the bash client of this process's fake docker server (docker_server.py,
started with the first Stack): every docker call runs in this process, so a Stack works only while the
process that made it runs. Used by the tests and by bench/bootstrap_overhead.py, so it does not depend on
pytest.
"""

from __future__ import annotations

import json
import marshal
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.bifrost import dotenv, render
from fakes.bifrost import contract, docker_server

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIFROST_SOURCE = PROJECT_ROOT / "cloud" / "bifrost"

# One unique value per secret the rendered files hold: none may appear in any output or docker argv.
CANARIES: dict[str, str] = {
    "CF_DNS_API_TOKEN": "canary-cf-dns-token-3e1f9a",
    "POSTGRES_PASSWORD": "canary-postgres-password-7b2c4d",
    "AUTHENTIK_SECRET_KEY": "canary-authentik-secret-key-5d8e1f",
    "AUTHENTIK_BOOTSTRAP_PASSWORD": "canary-bootstrap-password-2a6b9c",
    "AUTHENTIK_BOOTSTRAP_TOKEN": "canary-bootstrap-token-8c3d7e",
    "BIFROST_API_TOKEN": "canary-bifrost-api-token-4f9a2b",
    "NB_PROXY_TOKEN": "canary-netbird-proxy-token-6e1c3d",
    "NB_SETUP_KEY": "canary-netbird-setup-key-9b4f8a",
    "NB_RELAY_SECRET": "canary-netbird-relay-secret-1d7e5c",
    "NB_DATA_STORE_KEY": "canary-netbird-store-key-0c2a6f",
}

NETBIRD_HOST = "netbird.test.example.com"

BASH = shutil.which("bash") or "/bin/bash"
# What bootstrap.sh runs besides docker; a PATH holding only these has no docker.
TOOLS = ("cat", "flock", "grep", "mktemp", "rm", "sed", "sleep", "stat", "tail", "timeout")


# Non-secret values of the rendered files.
PLAIN_VALUES: dict[str, str] = {
    "COMPOSE_PROJECT_NAME": "bifrost",
    "AUTHENTIK_HOST": "auth.test.example.com",
    "NETBIRD_HOST": NETBIRD_HOST,
    "ACME_EMAIL": "ops@example.com",
    "NETBIRD_CONFIG_DIGEST": "0123456789abcdef",
    "TRAEFIK_ADDRESS": render.TRAEFIK_ADDRESS,
    "POSTGRES_DB": "authentik",
    "POSTGRES_USER": "authentik",
    "AUTHENTIK_POSTGRESQL__HOST": "authentik-postgres",
    "AUTHENTIK_POSTGRESQL__NAME": "authentik",
    "AUTHENTIK_POSTGRESQL__USER": "authentik",
    "AUTHENTIK_BOOTSTRAP_EMAIL": "ops@example.com",
    "NB_MANAGEMENT_URL": f"https://{NETBIRD_HOST}",
}
SECRET_VALUES: dict[str, str] = {
    **CANARIES,
    "AUTHENTIK_POSTGRESQL__PASSWORD": CANARIES["POSTGRES_PASSWORD"],
}


def rendered_files(proxy: bool = False, agent: bool = False) -> dict[str, str]:
    """What Pulumi writes next to the shipped files (per fakes/bifrost/contract.py), with
    canaries for secrets."""
    values = {**PLAIN_VALUES, **SECRET_VALUES}
    files = {contract.DOTENV: dotenv.render((key, values[key]) for key in contract.DOTENV_KEYS)}
    for relative, keys in contract.ENV_FILES.items():
        files[relative] = dotenv.render((key, values[key]) for key in keys)
    if not proxy:
        files["env/netbird-proxy.env"] = ""
    if not agent:
        files["env/netbird-agent.env"] = ""
    files[render.RENDERED_LIST_PATH] = render.rendered_list()
    files[contract.NETBIRD_CONFIG] = (
        "server:\n"
        '  listenAddress: ":80"\n'
        f'  exposedAddress: "https://{NETBIRD_HOST}:443"\n'
        f'  authSecret: "{CANARIES["NB_RELAY_SECRET"]}"\n'
        '  dataDir: "/var/lib/netbird"\n'
        "  auth:\n"
        f'    issuer: "https://{NETBIRD_HOST}/oauth2"\n'
        "  store:\n"
        '    engine: "sqlite"\n'
        f'    encryptionKey: "{CANARIES["NB_DATA_STORE_KEY"]}"\n'
    )
    return files


@dataclass
class Call:
    argv: list[str]
    stdin: str
    env: dict[str, str]
    clock: float
    elapsed: float
    events: dict[str, str]
    exit: int

    @property
    def compose_command(self) -> str | None:
        """The compose subcommand ("up", "ps", ...), or None for other docker commands."""
        if self.argv[:1] != ["compose"]:
            return None
        args = self.argv[1:]
        while args and args[0].startswith("-"):
            args = args[2:]
        return args[0] if args else None

    @property
    def profiles(self) -> list[str]:
        return [self.argv[i + 1] for i, arg in enumerate(self.argv[:-1]) if arg == "--profile"]

    @property
    def services(self) -> list[str]:
        """The service names at the end of an `up`/`logs`/`rm` call."""
        args = self.argv[self.argv.index(self.compose_command or "") + 1:]
        names: list[str] = []
        skip_next = False
        for arg in args:
            if skip_next:
                skip_next = False
            elif arg in ("--wait-timeout", "--tail", "--format"):
                skip_next = True
            elif not arg.startswith("-"):
                names.append(arg)
        return names


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    calls: list[Call]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def ups(self) -> list[list[str]]:
        return [c.services for c in self.calls if c.compose_command == "up"]

    def sequence(self) -> list[str]:
        """Each docker call in order: "compose up svc1 svc2 [profile]", "exec authentik-worker", "info"."""
        sequence = []
        for call in self.calls:
            command = call.compose_command
            if call.argv[:1] == ["exec"]:
                sequence.append(f"exec {call.argv[2] if call.argv[1] == '-i' else call.argv[1]}")
                continue
            if command is None:
                sequence.append(call.argv[0])
                continue
            text = " ".join(["compose", command, *call.services])
            if call.profiles:
                text += " [" + ",".join(call.profiles) + "]"
            sequence.append(text)
        return sequence

    def leaked(self) -> list[str]:
        """Canary values found in stdout, stderr, or anything the fake docker received."""
        recorded = json.dumps([{"argv": c.argv, "stdin": c.stdin, "env": c.env} for c in self.calls])
        return [name for name, value in CANARIES.items() if value in self.output + recorded]


@dataclass
class Stack:
    """A throwaway stack directory, a bin directory with the fake docker, and the fake's home."""

    root: Path
    directory: Path = field(init=False)
    bin: Path = field(init=False)
    fake_home: Path = field(init=False)

    def __post_init__(self) -> None:
        self.directory = self.root / "bifrost"
        self.bin = self.root / "bin"
        self.fake_home = self.root / "fake-docker"
        for path in (self.directory, self.bin, self.fake_home):
            path.mkdir(parents=True, exist_ok=True)
        shutil.copytree(BIFROST_SOURCE, self.directory, dirs_exist_ok=True)
        self.directory.chmod(0o700)
        self.render()
        client = self.bin / "docker"
        client.write_text(docker_server.client_script(docker_server.port(), BASH))
        client.chmod(0o755)

    def render(self, proxy: bool = False, agent: bool = False) -> None:
        for relative, text in rendered_files(proxy=proxy, agent=agent).items():
            self.write_secret(relative, text)

    def write_secret(self, relative: str, text: str, mode: int = 0o600) -> None:
        path = self.directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)

    def path_without_docker(self) -> str:
        tools = self.root / "tools"
        tools.mkdir(exist_ok=True)
        for tool in TOOLS:
            found = shutil.which(tool)
            if found and not (tools / tool).exists():
                (tools / tool).symlink_to(found)
        return str(tools)

    def scenario(self, **scenario: Any) -> None:
        with (self.fake_home / "scenario.bin").open("wb") as file:
            marshal.dump(scenario, file)

    def fake_state(self) -> dict[str, Any]:
        with (self.fake_home / "state.bin").open("rb") as file:
            state: dict[str, Any] = marshal.load(file)  # noqa: S302 (written by the fake docker)
        return state

    def calls(self) -> list[Call]:
        records: list[Call] = []
        log = self.fake_home / "calls.bin"
        if log.exists():
            with log.open("rb") as file:
                while True:
                    try:
                        records.append(Call(**marshal.load(file)))  # noqa: S302 (the fake docker's log)
                    except EOFError:
                        break
        return records

    def reset_calls(self) -> None:
        (self.fake_home / "calls.bin").unlink(missing_ok=True)

    def environment(self, path: str | None = None, env: dict[str, str] | None = None) -> dict[str, str]:
        return {
            "PATH": path if path is not None else f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "BIFROST_DIR": str(self.directory),
            "BIFROST_RETRY_DELAY": "0",
            "FAKE_DOCKER_HOME": str(self.fake_home),
            "LC_ALL": "C",
            **(env or {}),
        }

    def run(self, *args: str, path: str | None = None, env: dict[str, str] | None = None,
            new_session: bool = False) -> Result:
        """Runs bootstrap.sh; returns its result with the docker calls of this run only."""
        self.reset_calls()
        arguments = list(args) if args else ["--stage-timeout", "300"]
        completed = subprocess.run(
            [BASH, str(self.directory / "bootstrap.sh"), *arguments],
            env=self.environment(path, env), capture_output=True, text=True, timeout=60, check=False,
            start_new_session=new_session, preexec_fn=default_stop_signals,  # safe beside threads: see start
        )
        return Result(completed.returncode, completed.stdout, completed.stderr, self.calls())

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Starts bootstrap.sh in the background, with the stop signals at their defaults even when this
        process ignores them (default_stop_signals): sshd starts it that way on the VPS."""
        self.reset_calls()
        (self.fake_home / "blocked").unlink(missing_ok=True)
        arguments = list(args) if args else ["--stage-timeout", "300"]
        return subprocess.Popen(
            [BASH, str(self.directory / "bootstrap.sh"), *arguments], env=self.environment(env=env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
            # The fake docker server's threads run beside this fork: the child only resets signal
            # dispositions (sigaction), which takes no lock a thread could hold.
            preexec_fn=default_stop_signals,  # noqa: PLW1509
        )

    def wait_until_blocked(self, process: subprocess.Popen[str], limit: float = 30.0) -> int:
        """The PID of the `docker compose up` (the fake docker client) once it is waiting (see block_on in
        fake_docker)."""
        marker = self.fake_home / "blocked"
        deadline = time.monotonic() + limit
        while not marker.exists() or not marker.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                out, err = process.communicate(timeout=10)
                raise AssertionError(f"bootstrap.sh never reached the blocking up:\n{out}{err}")
            time.sleep(0.02)
        return int(marker.read_text())


STOP_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)


def default_stop_signals() -> None:
    """SIGHUP, SIGINT and SIGTERM at their defaults in a child, as sshd starts bootstrap.sh on the VPS: bash
    cannot trap a signal it starts with ignored, and a test runner may ignore them (SIGHUP under nohup,
    SIGINT in a shell's background job)."""
    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_DFL)
