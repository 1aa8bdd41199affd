"""The program's remote commands, run for real over SSH against Debian's sshd (see the sshd module beside this one).

The commands, their stdin, the static files and the SSH trust all come from an evaluation of the real
program under the mocks: the host key sshd serves is the one the program puts in cloud-init, the client
pins the program's `connection.hostKey` and logs in with its `connection.privateKey`. Only the address is
changed (loopback instead of the server's IP). The bootstrap trigger runs bootstrap.sh against the fake
docker. The host key is supplied through config: the program then derives the pinned public half itself
(cryptography), so the pair is a real one end to end.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization

from components.bifrost import blueprint
from components.secrets_registry import BY_KEY
from fakes.bifrost.harness import Stack
from tests.components.bifrost.ssh.sshd import Session, Sshd, skip_without_sshd
from tests.conftest import full_config, shared_run
from verify import canaries
from verify.evaluate import Evaluation
from verify.mocks import Registration, unwrap

COMMAND = "command:remote:Command"
COPY = "command:remote:CopyToRemote"
BIFROST = "/etc/bifrost"
TARGET = re.compile(r"^target='?(/etc/bifrost/[^'\n]+)'?$", re.MULTILINE)

FAKE_CLOUD_INIT = "#!/bin/sh\n# cloud-init finished cleanly (status --wait)\nexit 0\n"
FAKE_SYSTEMCTL = "#!/bin/sh\n# docker.service is running\n[ \"$1 $2\" = \"is-active --quiet\" ] && exit 0\nexit 1\n"


def public_half(private_key: str) -> str:
    key = serialization.load_ssh_private_key(private_key.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode()


@dataclass
class Program:
    evaluation: Evaluation
    ready: Registration
    directories: Registration
    writers: list[Registration]
    bootstrap: Registration
    copies: list[tuple[Path, str]]
    connection: dict[str, Any]
    user_data: dict[str, Any]

    @property
    def host_key(self) -> str:
        return str(self.connection["hostKey"])

    def markers(self) -> list[str]:
        return [c.marker for c in self.evaluation.canaries]


def stdin_of(writer: Registration) -> str:
    return str(unwrap(writer.inputs["stdin"]))


def target_of(writer: Registration) -> str:
    match = TARGET.search(str(unwrap(writer.inputs["create"])))
    assert match is not None, writer.name
    return match[1]


@pytest.fixture(scope="module")
def program() -> Program:
    config = full_config()
    config.set_secret(BY_KEY["sshHostPrivateKey"])
    evaluation = shared_run(config)
    commands = {r.name: r for r in evaluation.by_type(COMMAND)}
    writers = [r for name, r in commands.items() if "-file-" in name]
    copies = [(Path(unwrap(r.inputs)["source"]["path"]), str(unwrap(r.inputs)["remotePath"]))
              for r in evaluation.by_type(COPY)]
    connections = {str(unwrap(r.inputs["connection"])) for r in [*commands.values(), *evaluation.by_type(COPY)]}
    assert len(connections) == 1, "every remote resource uses the one pinned connection"
    server = evaluation.one("hcloud:index/server:Server", "bifrost")
    return Program(
        evaluation=evaluation, ready=commands["bifrost-files-ready"],
        directories=commands["bifrost-files-directories"], writers=writers,
        bootstrap=commands["bifrost-files-bootstrap"], copies=copies,
        connection=unwrap(commands["bifrost-files-ready"].inputs["connection"]),
        user_data=yaml.safe_load(str(unwrap(server.inputs["userData"]))))


@pytest.fixture(scope="module")
def sshd(program: Program, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    skip_without_sshd()
    work = tmp_path_factory.mktemp("sshd")
    fake = Stack(work / "fake-docker")
    fake.scenario()
    docker = f"#!/bin/sh\nFAKE_DOCKER_HOME={fake.fake_home}\nexport FAKE_DOCKER_HOME\nexec {fake.bin}/docker \"$@\"\n"
    (hardening,) = [f["content"] for f in program.user_data["write_files"] if f["path"].endswith("50-bifrost.conf")]
    server = Sshd(work, host_private_key=program.user_data["ssh_keys"]["ed25519_private"], hardening=hardening,
                  client_private_key=str(program.connection["privateKey"]),
                  client_public_key=public_half(str(program.connection["privateKey"])),
                  tools={"docker": docker, "cloud-init": FAKE_CLOUD_INIT, "systemctl": FAKE_SYSTEMCTL})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def deploy(program: Program, sshd: Sshd) -> list[tuple[str, Session]]:
    """Every remote step of the program in its order: ready, directories, uploads, writers, bootstrap."""
    sessions = [("ready", sshd.run(str(unwrap(program.ready.inputs["create"])), program.host_key)),
                ("directories", sshd.run(str(unwrap(program.directories.inputs["create"])), program.host_key))]
    sessions += [(f"upload {remote}", sshd.put(local, remote, program.host_key)) for local, remote in program.copies]
    sessions += [(writer.name, sshd.run(str(unwrap(writer.inputs["create"])), program.host_key, stdin_of(writer)))
                 for writer in program.writers]
    sessions.append(("bootstrap", sshd.run(str(unwrap(program.bootstrap.inputs["create"])), program.host_key)))
    return sessions


def local(sshd: Sshd, remote: str) -> Path:
    assert remote.startswith(BIFROST + "/")
    return sshd.bifrost / remote[len(BIFROST) + 1:]


def tree(sshd: Sshd) -> dict[str, tuple[int, int, int, bytes | None]]:
    """Every path under /etc/bifrost: (mode, uid, gid, content of a file)."""
    found: dict[str, tuple[int, int, int, bytes | None]] = {}
    for path in sorted(sshd.bifrost.rglob("*")):
        info = path.lstat()
        content = path.read_bytes() if path.is_file() else None
        found[path.relative_to(sshd.bifrost).as_posix()] = (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid,
                                                            content)
    return found


@pytest.fixture(scope="module")
def first_deploy(program: Program, sshd: Sshd) -> list[tuple[str, Session]]:
    return deploy(program, sshd)


def test_every_step_succeeds_and_the_writers_print_nothing(program: Program,
                                                           first_deploy: list[tuple[str, Session]]) -> None:
    failed = {name: session.output for name, session in first_deploy if session.returncode != 0}
    assert failed == {}
    writers = {w.name for w in program.writers}
    assert len(writers) >= 8
    for name, session in first_deploy:
        if name in writers or name in ("ready", "directories"):
            assert (session.stdout, session.stderr) == ("", ""), name
    bootstrap = dict(first_deploy)["bootstrap"]
    assert "done: the Bifrost stack is up" in bootstrap.stdout


def expected_mode(writer_name: str) -> int:
    """0600 for every file, but the Authentik blueprint: it holds no secret and the unprivileged worker reads it."""
    return blueprint.FILE_MODE if writer_name.endswith("-file-authentik-blueprint") else 0o600


def test_every_file_has_exactly_its_bytes_0600_root(program: Program, sshd: Sshd,
                                                    first_deploy: list[tuple[str, Session]]) -> None:
    for writer in program.writers:
        path = local(sshd, target_of(writer))
        info = path.stat()
        assert path.read_bytes() == stdin_of(writer).encode(), writer.name
        assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (expected_mode(writer.name), 0, 0), (
            writer.name)
    for source, remote in program.copies:
        assert local(sshd, remote).read_bytes() == source.read_bytes(), remote


def test_the_directories_are_0700(sshd: Sshd, first_deploy: list[tuple[str, Session]]) -> None:
    directories = [sshd.bifrost, *(p for p in sshd.bifrost.rglob("*") if p.is_dir())]
    assert len(directories) >= 4
    public = sshd.bifrost / Path(blueprint.BLUEPRINT_PATH).parent
    for directory in directories:
        expected = blueprint.DIR_MODE if directory == public else 0o700
        assert stat.S_IMODE(directory.stat().st_mode) == expected, directory


def test_nothing_secret_in_any_output(program: Program, first_deploy: list[tuple[str, Session]]) -> None:
    for name, session in first_deploy:
        assert not [m for m in program.markers() if m in session.output], name


def test_a_second_run_changes_nothing(program: Program, sshd: Sshd,
                                      first_deploy: list[tuple[str, Session]]) -> None:
    before = tree(sshd)
    again = deploy(program, sshd)
    assert {name: s.output for name, s in again if s.returncode != 0} == {}
    after = tree(sshd)
    # Same files, same bytes and modes; no temp file of the writers is left behind.
    assert after == before
    assert "step token: unchanged" in dict(again)["bootstrap"].stdout


def test_another_host_key_is_refused_before_anything_runs(program: Program, sshd: Sshd,
                                                          first_deploy: list[tuple[str, Session]]) -> None:
    impostor = public_half(canaries.openssh_private_key("not-the-program's-host-key").value)
    assert impostor != program.host_key
    session = sshd.run(f"touch {BIFROST}/reached", impostor)
    assert session.returncode == 255
    assert "Host key verification failed" in session.stderr
    assert not (sshd.bifrost / "reached").exists()
    assert sshd.run(f"test -d {BIFROST}", program.host_key).returncode == 0  # the pinned key still works


def test_a_refused_store_key_change_prints_nothing_secret(program: Program, sshd: Sshd,
                                                          first_deploy: list[tuple[str, Session]]) -> None:
    (writer,) = [w for w in program.writers if target_of(w).endswith("netbird/config.yaml")]
    path = local(sshd, target_of(writer))
    before = path.read_bytes()
    changed = re.sub(r"encryptionKey: .*", "encryptionKey: canary-replacement-store-key-2b7d", stdin_of(writer))
    assert changed != stdin_of(writer)
    session = sshd.run(str(unwrap(writer.inputs["create"])), program.host_key, changed)
    assert session.returncode == 3
    assert "refusing to replace the NetBird store encryption key" in session.stderr
    assert not [m for m in [*program.markers(), "canary-replacement-store-key-2b7d"] if m in session.output]
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.yaml"]


def test_a_write_that_fails_prints_nothing_secret(program: Program, sshd: Sshd,
                                                  first_deploy: list[tuple[str, Session]]) -> None:
    (writer,) = [w for w in program.writers if target_of(w).endswith("env/traefik.env")]
    env = sshd.bifrost / "env"
    aside = sshd.work / "env-aside"
    shutil.move(env, aside)
    env.write_text("a file where the directory should be\n")
    try:
        session = sshd.run(str(unwrap(writer.inputs["create"])), program.host_key, stdin_of(writer))
    finally:
        env.unlink()
        shutil.move(aside, env)
    assert session.returncode != 0
    assert session.output.strip(), "the failure says what went wrong"
    assert not [m for m in program.markers() if m in session.output]
    assert os.listdir(env)  # restored for the other tests
