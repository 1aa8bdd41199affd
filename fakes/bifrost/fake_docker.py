"""A fake `docker` CLI for running bootstrap.sh without a Docker engine.

It simulates `docker compose` and containers from a scenario file, on a virtual clock kept in a state
file, so a wait of minutes costs nothing. Every call (argv, stdin, environment) is appended to a log the
tests read. The directory holding scenario, state and log is the caller's FAKE_DOCKER_HOME.

`call` runs one docker call: argv, stdin and environment in, (exit code, stdout lines, stderr lines) out.
The harness runs it in its own process, in the fake docker server (docker_server.py), for the `docker`
client it puts on PATH (docker_client.bash); `python fake_docker.py ARG...` runs one call by itself.
State and log are read and written per call, as marshal data (the harness reads and writes them too); a
call that waits for real saves the state before the wait and reads it again after.

Scenario (scenario.bin, all keys optional):
  services: {name: behaviour}, behaviour one of
      {"ready_after": s}                 healthy (or running, without a healthcheck) s seconds after start
      {"never_ready": true}              stays starting forever
      {"unhealthy_after": s}             turns unhealthy s seconds after start
      {"exit_after": s, "exit_code": n}  exits with n s seconds after start
    default: ready after 1 s; a service with `restart: "no"` exits 0 after 1 s.
  proxy_token: {"token": t, "fail": bool, "echo": text}: `exec netbird-server ... admin token create`
      prints token t (default: a fresh fake one per call) or fails, its error ending with `echo`.
  ak_shell: {"fail_times": k, "status": "created" | "updated" | "error" | "missing-key", "seconds": s}
      `exec -i authentik-worker ak shell` takes s seconds (default 2), fails k times, then prints the
      status line.
  compose_missing, daemon_down, config_invalid: booleans.
  engine_version: what `docker info` reports as the server version (default 27.5.1).
  interrupt_on: service name; the first `up` that starts it kills the caller's process group (SIGKILL).
  block_on: service name; an `up` that starts it writes `blocked` (the caller's PID) in FAKE_DOCKER_HOME
      and really waits (up to 120 s) until the caller gets SIGINT, SIGTERM or SIGHUP, which it records
      (its exit is 128 + the signal), or until the caller has gone without one (SIGKILL). Other calls run
      meanwhile, and see its containers as started.
  up_output: [line, ...] printed by every `up` (compose echoes env lines in some errors).
  logs: {service: [line, ...]}
  real_time: really wait for the simulated waits (for the benchmark).
"""

from __future__ import annotations

import marshal
import os
import signal
import sys
import zlib
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

INF = float("inf")
ONE_SHOT_DEFAULT: dict[str, Any] = {"exit_after": 1, "exit_code": 0}
LONG_RUNNING_DEFAULT: dict[str, Any] = {"ready_after": 1}
AK_SHELL_SECONDS = 2.0
BLOCK_SECONDS = 120.0
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Caller(Protocol):
    """The process that ran `docker`, as far as a call needs it."""

    @property
    def pid(self) -> int: ...

    def wait(self, seconds: float) -> int | None:
        """Waits for real, up to `seconds`; the number of a signal (SIGNALS) that ended the wait early, or None.
        Other calls may run meanwhile: the call keeps none of the state it loaded across it (Fake.wait_for_real)."""

    def process_group(self) -> int | None:
        """The caller's process group, or None when killing it would kill the fake itself."""

    def local_path(self, path: str) -> str:
        """Where a path the caller names (as docker reads files: a compose file, an env file) is for this
        process: the caller may run in another directory or mount namespace."""


class Reply(NamedTuple):
    code: int
    stdout: list[str]
    stderr: list[str]


class CallerKilled(Exception):
    """The call killed its caller's process group (interrupt_on): nobody is left to reply to."""


def read(path: str) -> str:
    with open(path) as file:
        return file.read()


def load(path: str, default: dict[str, Any]) -> dict[str, Any]:
    if not os.path.exists(path):
        return default
    with open(path, "rb") as file:
        data: dict[str, Any] = marshal.load(file)  # noqa: S302 (written by the harness and this fake)
    return data


def dump(path: str, data: dict[str, Any], mode: str = "wb") -> None:
    with open(path, mode) as file:
        marshal.dump(data, file)


# A compose file's text -> its services (read only): parsed once per content and process, wherever the file is
# (each test copies it to a directory of its own).
_SERVICES: dict[str, dict[str, dict[str, Any]]] = {}


def load_services(compose_file: str) -> dict[str, dict[str, Any]]:
    """The compose file's services."""
    text = read(compose_file)
    services = _SERVICES.get(text)
    if services is None:
        import yaml  # only here: `python fake_docker.py info` starts without it

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same document, a tenth of the time
        services = _SERVICES[text] = yaml.load(text, Loader=loader)["services"]  # noqa: S506 - a safe loader
    return services


def call(argv: list[str], stdin: str, env: Mapping[str, str], caller: Caller) -> Reply:
    """One docker call. Raises CallerKilled when it killed the caller (and so has no reply)."""
    fake = Fake(argv, stdin, env, caller)
    code = fake.run()
    return Reply(code, fake.out, fake.err)


class Fake:
    def __init__(self, argv: list[str], stdin: str, env: Mapping[str, str], caller: Caller) -> None:
        self.argv = argv
        self.stdin = stdin
        self.env = dict(env)
        self.caller = caller
        self.home = self.env["FAKE_DOCKER_HOME"]
        self.scenario = load(self.path("scenario.bin"), {})
        self.state = self.load_state()
        self.events: dict[str, str] = {}
        self.elapsed = 0.0
        self.out: list[str] = []
        self.err: list[str] = []

    # -- bookkeeping -----------------------------------------------------------------------------

    def path(self, name: str) -> str:
        return os.path.join(self.home, name)

    def load_state(self) -> dict[str, Any]:
        return load(self.path("state.bin"), {"clock": 0.0, "containers": {}, "ak_attempts": 0})

    @property
    def clock(self) -> float:
        return float(self.state["clock"])

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds
        self.state["clock"] = self.clock + seconds

    def save(self, code: int) -> None:
        dump(self.path("state.bin"), self.state)
        record = {
            "argv": self.argv,
            "stdin": self.stdin,
            "env": self.env,
            "clock": self.clock,
            "elapsed": self.elapsed,
            "events": self.events,
            "exit": code,
        }
        dump(self.path("calls.bin"), record, mode="ab")

    def finish(self, code: int) -> int:
        self.save(code)
        if self.scenario.get("real_time") and self.elapsed > 0:
            self.caller.wait(self.elapsed)  # the call is saved: nothing it loaded is written after the wait
        return code

    def wait_for_real(self, seconds: float) -> int | None:
        """The caller's wait, which lets other calls of this home run meanwhile: the state is saved before
        (they see what this call did so far, as docker's other commands see an `up` at work) and read again
        after (what they did is kept)."""
        dump(self.path("state.bin"), self.state)
        number = self.caller.wait(seconds)
        self.state.clear()  # in place: the call's Project holds this dict
        self.state.update(self.load_state())
        return number

    # -- dispatch --------------------------------------------------------------------------------

    def run(self) -> int:
        args = self.argv
        if not args:
            self.err.append("usage: docker COMMAND")
            return self.finish(1)
        if args[0] == "info":
            if self.scenario.get("daemon_down"):
                self.err.append("Cannot connect to the Docker daemon at unix:///var/run/docker.sock.")
                return self.finish(1)
            self.out.append(str(self.scenario.get("engine_version", "27.5.1")))
            return self.finish(0)
        if args[0] == "compose":
            if self.scenario.get("compose_missing"):
                self.err.append("docker: 'compose' is not a docker command.")
                return self.finish(1)
            return self.compose(args[1:])
        if args[:2] == ["exec", "-i"]:
            return self.exec(args[2:])
        if args[:2] == ["exec", "netbird-server"]:
            return self.netbird_admin(args[2:])
        self.err.append(f"fake docker: unsupported command {args[0]!r}")
        return self.finish(1)

    # -- docker exec -----------------------------------------------------------------------------

    def running(self, service: str) -> bool:
        """Whether the service's container runs, as `docker exec` needs; if not, docker's own error is printed."""
        project = self.state.get("project")
        status = Status("created", "", "") if project is None else self.project(project).status(service)
        if status.state != "running":
            self.err.append(f"Error response from daemon: container {service} is not running")
        return status.state == "running"

    def exec(self, args: list[str]) -> int:
        if args != ["authentik-worker", "ak", "shell"]:
            self.err.append(f"fake docker: unsupported exec {args!r}")
            return self.finish(1)
        if not self.running("authentik-worker"):
            return self.finish(1)
        behaviour: dict[str, Any] = self.scenario.get("ak_shell", {})
        self.advance(float(behaviour.get("seconds", AK_SHELL_SECONDS)))
        attempt = int(self.state["ak_attempts"])
        self.state["ak_attempts"] = attempt + 1
        if "Token.objects.get_or_create" not in self.stdin:
            self.err.append("fake ak shell: no token script on stdin")
            return self.finish(1)
        if attempt < int(behaviour.get("fail_times", 0)):
            self.err.append('django.db.utils.ProgrammingError: relation "authentik_core_token" does not exist')
            return self.finish(1)
        wanted = str(behaviour.get("status", "created"))
        if wanted == "error":
            self.out.append(">>> bifrost-automation token: error OperationalError")
        elif wanted == "missing-key":
            self.out.append("bifrost-automation token: missing-key")
        else:
            result = "unchanged" if self.state.get("token_ensured") else wanted
            self.state["token_ensured"] = True
            self.out.append(f"bifrost-automation token: {result}")
        return self.finish(0)

    def netbird_admin(self, args: list[str]) -> int:
        """`netbird-server admin token create --name N`, printing what management/cmd/token/token.go
        prints (v0.77): the plain token once, on a `Token: ` line."""
        expected = ["/go/bin/netbird-server", "--config", "/etc/netbird/config.yaml", "admin", "token", "create",
                    "--name"]
        if args[:-1] != expected or not args[-1]:
            self.err.append(f"fake docker: unsupported netbird-server command {args!r}")
            return self.finish(1)
        if not self.running("netbird-server"):
            return self.finish(1)
        behaviour: dict[str, Any] = self.scenario.get("proxy_token", {})
        self.state["proxy_tokens_issued"] = int(self.state.get("proxy_tokens_issued", 0)) + 1
        if behaviour.get("fail"):
            self.err.append(f"Error: save token: database is locked {behaviour.get('echo', '')}")
            return self.finish(1)
        token = str(behaviour.get("token", f"nbx_fake{self.state['proxy_tokens_issued']:04d}proxytoken0123456789"))
        self.out.extend(["Token created successfully!", f"Token: {token}", "",
                         "IMPORTANT: Save this token now. It will not be shown again.", "Token ID: fake-token-id"])
        return self.finish(0)

    # -- docker compose --------------------------------------------------------------------------

    def compose(self, args: list[str]) -> int:
        project_dir: str | None = None
        compose_file: str | None = None
        profiles: list[str] = []
        while args and args[0].startswith("-"):
            option, value = args[0], args[1]
            args = args[2:]
            if option == "--project-directory":
                project_dir = value
            elif option == "-f":
                compose_file = value
            elif option == "--profile":
                profiles.append(value)
            else:
                self.err.append(f"fake docker compose: unsupported option {option}")
                return self.finish(1)
        if not args:
            self.err.append("fake docker compose: no subcommand")
            return self.finish(1)
        if args == ["version"]:
            self.out.append("Docker Compose version v2.33.1")
            return self.finish(0)
        if project_dir is None or compose_file is None:
            self.err.append("fake docker compose: --project-directory and -f are required here")
            return self.finish(1)
        self.state["project"] = {"dir": project_dir, "file": compose_file}
        project = self.project(self.state["project"])
        command, rest = args[0], args[1:]
        if command == "config":
            if self.scenario.get("config_invalid"):
                # Real compose quotes the offending env file line, secret and all.
                line = read(os.path.join(project.directory, "env", "traefik.env")).splitlines()[0]
                self.err.append(f"failed to read env/traefik.env: line 1: unexpected character in {line}")
                return self.finish(15)
            return self.finish(0)
        if command == "up":
            return self.up(project, profiles, rest)
        if command == "ps":
            return self.ps(project, rest)
        if command == "logs":
            return self.logs(project, rest)
        if command == "rm":
            return self.rm(project, rest)
        self.err.append(f"fake docker compose: unsupported subcommand {command}")
        return self.finish(1)

    def project(self, where: dict[str, str]) -> Project:
        """The compose project at the caller's paths (kept in the state as the caller gave them)."""
        return Project(self.caller.local_path(where["dir"]), self.caller.local_path(where["file"]), self.scenario,
                       self.state)

    def up(self, project: Project, profiles: list[str], args: list[str]) -> int:
        timeout = INF
        services: list[str] = []
        detached = wait = False
        index = 0
        while index < len(args):
            arg = args[index]
            if arg == "-d":
                detached = True
            elif arg == "--wait":
                wait = True
            elif arg == "--wait-timeout":
                index += 1
                timeout = float(args[index])
            elif arg.startswith("-"):
                self.err.append(f"fake docker compose up: unsupported option {arg}")
                return self.finish(1)
            else:
                services.append(arg)
            index += 1
        if not (detached and wait and services):
            self.err.append("fake docker compose up: expected -d --wait and services")
            return self.finish(1)
        unknown = [s for s in services if s not in project.services]
        if unknown:
            self.err.append(f"no such service: {unknown[0]}")
            return self.finish(1)
        plan = project.plan(services, profiles, self.clock, timeout)
        self.events = plan.events
        interrupt = self.scenario.get("interrupt_on")
        if interrupt in plan.order and not self.state.get("interrupted"):
            group = self.caller.process_group()
            if group is None:
                self.err.append("fake docker: interrupt_on would kill the fake's own process group: run the "
                                "caller in a new session (Stack.run(new_session=True))")
                return self.finish(1)
            self.state["interrupted"] = True
            self.save(-9)
            os.killpg(group, signal.SIGKILL)
            raise CallerKilled
        if self.scenario.get("block_on") in plan.order:
            number = self.block()
            if number is not None:
                self.events = {"signal": signal.Signals(number).name}
                return self.finish(128 + number)
        self.err.extend(self.scenario.get("up_output", []))
        self.advance(max(0.0, plan.end - self.clock))  # a call during a block may have moved the clock on
        for name in plan.order:
            self.err.append(f" Container {name}  {plan.events[name]}")
        if plan.error:
            self.err.append(plan.error)
            return self.finish(1)
        return self.finish(0)

    def block(self) -> int | None:
        """Waits for real until a signal arrives, as a `docker compose up --wait` does; the signal's number."""
        with open(self.path("blocked"), "w") as marker:
            marker.write(str(self.caller.pid))
        return self.wait_for_real(BLOCK_SECONDS)

    def ps(self, project: Project, args: list[str]) -> int:
        template = ""
        wanted: list[str] = []
        index = 0
        while index < len(args):
            if args[index] == "--format":
                template = args[index + 1]
                index += 1
            elif not args[index].startswith("-"):
                wanted.append(args[index])
            index += 1
        for name in wanted or sorted(self.state["containers"]):
            if name not in self.state["containers"]:
                continue
            status = project.status(name)
            line = template or "{{.Service}} {{.State}} {{.Health}}"
            for key, value in (("Service", name), ("State", status.state), ("Health", status.health),
                               ("ExitCode", status.exit_code)):
                line = line.replace("{{." + key + "}}", value)
            self.out.append(line)
        return self.finish(0)

    def logs(self, project: Project, args: list[str]) -> int:
        tail = int(args[args.index("--tail") + 1]) if "--tail" in args else 1000
        names = [a for i, a in enumerate(args) if not a.startswith("-") and args[i - 1] != "--tail"]
        for name in names:
            lines = self.scenario.get("logs", {}).get(name, [f"{name} | fake log line"])
            self.out.extend(lines[-tail:])
        return self.finish(0)

    def rm(self, project: Project, args: list[str]) -> int:
        for name in (a for a in args if not a.startswith("-")):
            if self.state["containers"].pop(name, None) is not None:
                self.events[name] = "Removed"
        return self.finish(0)


class Status:
    def __init__(self, state: str, health: str, exit_code: str, ready: bool = False) -> None:
        self.state = state  # created | running | restarting | exited
        self.health = health  # "" | starting | healthy | unhealthy
        self.exit_code = exit_code
        self.ready = ready


class Timeline:
    """One container's future, from its start time."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.ready = INF  # healthy, or running without a healthcheck, or exited 0 for a one-shot
        self.failed = INF  # unhealthy, or exited non-zero
        self.exited = INF
        self.exit_code = 0


class Plan:
    def __init__(self, order: list[str], end: float, error: str, events: dict[str, str]) -> None:
        self.order = order
        self.end = end
        self.error = error
        self.events = events


class Project:
    def __init__(self, directory: str, compose_file: str, scenario: dict[str, Any],
                 state: dict[str, Any]) -> None:
        self.directory = directory
        self.services: dict[str, dict[str, Any]] = load_services(compose_file)
        self.scenario = scenario
        self.state = state

    def behaviour(self, name: str) -> dict[str, Any]:
        configured: dict[str, Any] | None = self.scenario.get("services", {}).get(name)
        if configured is not None:
            return configured
        one_shot = str(self.services[name].get("restart", "")) == "no"
        return ONE_SHOT_DEFAULT if one_shot else LONG_RUNNING_DEFAULT

    def has_healthcheck(self, name: str) -> bool:
        return "healthcheck" in self.services[name]

    def timeline(self, name: str, start: float) -> Timeline:
        behaviour = self.behaviour(name)
        line = Timeline(start)
        if "exit_after" in behaviour:
            line.exited = start + float(behaviour["exit_after"])
            line.exit_code = int(behaviour.get("exit_code", 0))
            if line.exit_code == 0:
                line.ready = line.exited
            else:
                line.failed = line.exited
        elif "unhealthy_after" in behaviour:
            line.failed = start + float(behaviour["unhealthy_after"])
        elif not behaviour.get("never_ready"):
            line.ready = start + float(behaviour.get("ready_after", 1))
        return line

    def status(self, name: str) -> Status:
        container = self.state["containers"].get(name)
        if container is None or container.get("start") is None:
            return Status("created", "", "")
        now = float(self.state["clock"])
        line = self.timeline(name, float(container["start"]))
        checked = self.has_healthcheck(name)
        if now >= line.exited:
            return Status("exited", "", str(line.exit_code), ready=line.exit_code == 0)
        if now >= line.failed:
            return Status("running", "unhealthy", "0")
        if now >= line.ready:
            return Status("running", "healthy" if checked else "", "0", ready=True)
        # Without a healthcheck, "not ready yet" can only look like a crash loop.
        return Status("running", "starting", "0") if checked else Status("restarting", "", "0")

    def fingerprint(self, name: str) -> str:
        service = self.services[name]
        parts = [repr(service)]
        env_files = service.get("env_file", [])
        for relative in [".env", *([env_files] if isinstance(env_files, str) else env_files)]:
            path = os.path.join(self.directory, relative)
            parts.append(read(path) if os.path.exists(path) else "")
        return f"{zlib.crc32(chr(0).join(parts).encode()):08x}"

    def dependencies(self, name: str) -> dict[str, str]:
        depends = self.services[name].get("depends_on", {})
        if isinstance(depends, list):
            return {d: "service_started" for d in depends}
        return {d: str(spec.get("condition", "service_started")) for d, spec in depends.items()}

    def closure(self, services: list[str]) -> list[str]:
        """Services and their dependencies, dependencies first."""
        order: list[str] = []

        def visit(name: str) -> None:
            if name in order:
                return
            for dependency in self.dependencies(name):
                visit(dependency)
            order.append(name)

        for name in services:
            visit(name)
        return order

    def plan(self, services: list[str], profiles: list[str], now: float, timeout: float) -> Plan:
        order = self.closure(services)
        deadline = now + timeout
        lines: dict[str, Timeline] = {}
        events: dict[str, str] = {}
        failures: list[tuple[float, str]] = []
        for name in order:
            declared = self.services[name].get("profiles")
            if declared and name not in services and not set(declared) & set(profiles):
                return Plan(order, now, f"service {name} is in an inactive profile", events)
            gate = now
            for dependency, condition in self.dependencies(name).items():
                dep = lines[dependency]
                if condition == "service_started":
                    gate = max(gate, dep.start)
                elif condition == "service_healthy":
                    if dep.failed < INF or dep.exited < INF:
                        failures.append((min(dep.failed, dep.exited),
                                         f"dependency failed to start: container {dependency} is unhealthy"))
                    gate = max(gate, dep.ready if dep.exited == INF else INF)
                else:  # service_completed_successfully
                    if dep.exit_code != 0:
                        failures.append((dep.failed, f"service {dependency} didn't complete successfully: "
                                                     f"exit {dep.exit_code}"))
                    gate = max(gate, dep.ready if dep.exited < INF else INF)
            container = self.state["containers"].get(name)
            fingerprint = self.fingerprint(name)
            current = self.status(name) if container else None
            if container and container["fingerprint"] == fingerprint and current is not None \
                    and current.state == "running":
                line = self.timeline(name, float(container["start"]))
                events[name] = "Running"
            else:
                line = self.timeline(name, gate)
                if container is None:
                    events[name] = "Created"
                elif container["fingerprint"] != fingerprint:
                    events[name] = "Recreated"
                else:
                    events[name] = "Started"
            lines[name] = line
        adopted = {d for n in order for d, c in self.dependencies(n).items()
                   if c == "service_completed_successfully"}
        ready_at = now
        for name in order:
            line = lines[name]
            if line.exited < INF and line.exit_code == 0 and name not in adopted:
                failures.append((line.exited, f"container {name} exited (0)"))
            if line.failed < INF:
                verb = f"exited ({line.exit_code})" if line.exited < INF else "is unhealthy"
                failures.append((line.failed, f"container {name} {verb}"))
            ready_at = max(ready_at, line.ready)
        first_failure = min(failures, default=(INF, ""))
        if first_failure[0] <= min(ready_at, deadline):
            end, error = first_failure
        elif ready_at <= deadline:
            end, error = ready_at, ""
        else:
            waiting = [n for n in order if lines[n].ready > deadline]
            end, error = deadline, f"timeout waiting for {', '.join(waiting)} to be healthy"
        for name in order:
            start = lines[name].start
            self.state["containers"][name] = {
                "fingerprint": self.fingerprint(name),
                "start": start if start <= end else None,
            }
        return Plan(order, max(end, now), error, events)


class ThisProcess:
    """The caller when this module runs as a script: the script is the docker process."""

    def __init__(self) -> None:
        self.pid = os.getpid()

    def wait(self, seconds: float) -> int | None:
        # Held while waiting, taken by sigtimedwait; at their default (fatal) anywhere else.
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        try:
            info = signal.sigtimedwait(SIGNALS, seconds)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
        return None if info is None else info.si_signo

    def process_group(self) -> int:
        return os.getpgrp()

    def local_path(self, path: str) -> str:
        return path


def main() -> int:
    """`python fake_docker.py ARG...`: one docker call, with FAKE_DOCKER_HOME from the environment."""
    argv = sys.argv[1:]
    stdin = sys.stdin.read() if "-i" in argv[:2] else ""
    code, stdout, stderr = call(argv, stdin, os.environ, ThisProcess())
    for line in stdout:
        print(line)
    for line in stderr:
        print(line, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
