"""The ssh reload in cloud-init and the wait for cloud-init, run for real against fake system tools.

The fake `systemctl` keeps the units' states as Ubuntu 24.04 has them (openssh-server 1:9.6p1-3ubuntu13:
ssh.socket enabled and listening, ssh.service disabled and started by the first connection) or as a
classic install has them (ssh.service running, no socket), and behaves as systemd does for the verbs
used: `reload` of an inactive unit fails, `try-reload-or-restart` of one does nothing.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from components.bifrost import cloud_init, scripts

FAKE_SYSTEMCTL = r"""#!/usr/bin/env bash
# State: $FAKE_STATE/<unit> holds active|inactive|failed; $FAKE_STATE/<unit>.enabled exists when enabled.
set -u
printf '%s\n' "$*" >>"$FAKE_STATE/calls"
quiet=0
args=()
for arg in "$@"; do
  if [[ "$arg" == --quiet ]]; then quiet=1; else args+=("$arg"); fi
done
verb="${args[0]}"
units=("${args[@]:1}")
state() { cat "$FAKE_STATE/$1" 2>/dev/null || echo missing; }
case "$verb" in
  is-enabled) [[ -e "$FAKE_STATE/${units[0]}.enabled" ]] ;;
  is-active) [[ "$(state "${units[0]}")" == active ]] ;;
  reset-failed)
    for unit in "${units[@]}"; do [[ "$(state "$unit")" != failed ]] || echo inactive >"$FAKE_STATE/$unit"; done ;;
  start) [[ "$(state "${units[0]}")" != missing ]] && echo active >"$FAKE_STATE/${units[0]}" ;;
  reload)
    if [[ "$(state "${units[0]}")" != active ]]; then
      ((quiet)) || echo "Unit ${units[0]} is not active, cannot reload." >&2
      exit 1
    fi
    echo reloaded >"$FAKE_STATE/${units[0]}.reloaded" ;;
  try-reload-or-restart)
    [[ "$(state "${units[0]}")" != active ]] || echo reloaded >"$FAKE_STATE/${units[0]}.reloaded" ;;
  reload-or-restart)
    [[ "$(state "${units[0]}")" != missing ]] || exit 5
    echo active >"$FAKE_STATE/${units[0]}"
    echo reloaded >"$FAKE_STATE/${units[0]}.reloaded" ;;
  *) echo "fake systemctl: unsupported $verb" >&2; exit 2 ;;
esac
"""

FAKE_SSHD = r"""#!/usr/bin/env bash
printf 'sshd %s\n' "$*" >>"$FAKE_STATE/calls"
[[ -e "$FAKE_STATE/sshd-config-bad" ]] && { echo "sshd: bad configuration" >&2; exit 255; }
if [[ "${1:-}" == -T ]]; then
  if [[ -e "$FAKE_STATE/passwords" ]]; then echo "passwordauthentication yes"; else echo "passwordauthentication no"; fi
fi
exit 0
"""

FAKE_CLOUD_INIT = """#!/usr/bin/env bash
exit "$(cat "$FAKE_STATE/cloud-init-rc")"
"""

FAKE_DOCKER = """#!/usr/bin/env bash
[[ -e "$FAKE_STATE/no-compose" ]] && exit 1
exit 0
"""


class System:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = root / "state"
        self.bin = root / "bin"
        self.state.mkdir()
        self.bin.mkdir()
        for name, text in (("systemctl", FAKE_SYSTEMCTL), ("sshd", FAKE_SSHD), ("cloud-init", FAKE_CLOUD_INIT),
                           ("docker", FAKE_DOCKER)):
            path = self.bin / name
            path.write_text(text)
            path.chmod(0o755)

    def unit(self, name: str, state: str, enabled: bool) -> None:
        (self.state / name).write_text(state + "\n")
        if enabled:
            (self.state / f"{name}.enabled").touch()

    def flag(self, name: str, content: str = "") -> None:
        (self.state / name).write_text(content)

    def state_of(self, name: str) -> str:
        return (self.state / name).read_text().strip()

    def reloaded(self, name: str) -> bool:
        return (self.state / f"{name}.reloaded").exists()

    def calls(self) -> list[str]:
        log = self.state / "calls"
        return log.read_text().splitlines() if log.exists() else []

    def sh(self, script: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}", "FAKE_STATE": str(self.state)}
        return subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def system(tmp_path: Path) -> System:
    return System(tmp_path)


def runcmd_reload() -> str:
    document = yaml.safe_load(cloud_init.render_user_data("PRIVATE", "ssh-ed25519 AAAA"))
    shells = [entry for entry in document["runcmd"] if entry[:2] == ["sh", "-c"]]
    assert len(shells) == 1
    assert ["systemctl", "reload", "ssh.service"] not in document["runcmd"]
    return str(shells[0][2])


def ubuntu_24_04(system: System, service: str = "inactive", socket: str = "active") -> None:
    system.unit("ssh.socket", socket, enabled=True)
    system.unit("ssh.service", service, enabled=False)


def test_the_old_reload_fails_while_ssh_waits_on_its_socket(system: System) -> None:
    """The defect, reproduced on the fake: this is what failed cloud-init on Ubuntu 24.04."""
    ubuntu_24_04(system)
    result = system.sh("systemctl reload ssh.service")
    assert result.returncode == 1
    assert "not active, cannot reload" in result.stderr


def test_socket_activated_ssh_not_started_yet_is_left_to_its_first_connection(system: System) -> None:
    ubuntu_24_04(system, service="inactive")
    result = system.sh(runcmd_reload())
    assert result.returncode == 0, result.stderr
    assert system.state_of("ssh.socket") == "active"
    assert not system.reloaded("ssh.service")
    assert system.calls()[0] == "sshd -t"


def test_socket_activated_ssh_already_running_is_reloaded(system: System) -> None:
    ubuntu_24_04(system, service="active")
    result = system.sh(runcmd_reload())
    assert result.returncode == 0, result.stderr
    assert system.reloaded("ssh.service")


def test_a_socket_stopped_by_early_failed_connections_is_started_again(system: System) -> None:
    ubuntu_24_04(system, service="failed", socket="failed")
    result = system.sh(runcmd_reload())
    assert result.returncode == 0, result.stderr
    assert system.state_of("ssh.socket") == "active"
    assert system.state_of("ssh.service") == "inactive"


def test_classic_ssh_service_without_socket_is_reloaded(system: System) -> None:
    system.unit("ssh.service", "active", enabled=True)
    result = system.sh(runcmd_reload())
    assert result.returncode == 0, result.stderr
    assert system.reloaded("ssh.service")


def test_a_bad_sshd_config_fails_the_runcmd_before_touching_ssh(system: System) -> None:
    ubuntu_24_04(system, service="active")
    system.flag("sshd-config-bad")
    result = system.sh(runcmd_reload())
    assert result.returncode != 0
    assert not system.reloaded("ssh.service")
    assert [call for call in system.calls() if not call.startswith("sshd")] == []


# -- the wait for cloud-init -------------------------------------------------------------------------


def wait_script(system: System) -> str:
    hardening = system.root / "50-bifrost.conf"
    return scripts.wait_for_cloud_init(base_dir=str(system.root / "bifrost"), hardening_path=str(hardening))


def finished(system: System, rc: int) -> None:
    system.flag("cloud-init-rc", str(rc))
    (system.root / "50-bifrost.conf").write_text(cloud_init.SSHD_HARDENING)
    system.unit("docker.service", "active", enabled=True)


def test_a_clean_cloud_init_passes_silently(system: System) -> None:
    finished(system, 0)
    result = system.sh(wait_script(system))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert stat.S_IMODE((system.root / "bifrost").stat().st_mode) == 0o700


def test_recoverable_errors_are_reported_and_the_work_is_checked(system: System) -> None:
    finished(system, 2)
    result = system.sh(wait_script(system))
    assert result.returncode == 0
    assert "warning: cloud-init finished with recoverable errors" in result.stderr


def test_a_failed_cloud_init_fails_with_the_next_step(system: System) -> None:
    finished(system, 1)
    result = system.sh(wait_script(system))
    assert result.returncode == scripts.EXIT_CLOUD_INIT_FAILED
    assert "cloud-init failed (exit 1)" in result.stderr
    assert "cloud-init status --long" in result.stderr


@pytest.mark.parametrize(("breakage", "message"), [
    ("hardening", "50-bifrost.conf is missing"),
    ("passwords", "sshd still allows passwords"),
    ("docker", "docker.service is not running"),
    ("no-compose", "docker compose is missing"),
])
def test_recoverable_errors_that_left_work_undone_fail(system: System, breakage: str, message: str) -> None:
    finished(system, 2)
    if breakage == "hardening":
        (system.root / "50-bifrost.conf").unlink()
    elif breakage == "docker":
        system.unit("docker.service", "failed", enabled=True)
    else:
        system.flag(breakage)
    result = system.sh(wait_script(system))
    assert result.returncode == scripts.EXIT_CLOUD_INIT_INCOMPLETE
    assert message in result.stderr


@pytest.mark.parametrize("script", [cloud_init.SSH_RELOAD, scripts.wait_for_cloud_init()],
                         ids=["runcmd-ssh-reload", "wait-for-cloud-init"])
def test_the_scripts_are_shellcheck_clean(script: str) -> None:
    from tests.cloud.bifrost.test_shellcheck import shellcheck

    result = subprocess.run([shellcheck(), "--shell=sh", "-"], input=script, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout
