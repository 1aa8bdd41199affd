"""The stdin file writer, run for real with bash against a temporary directory."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

from components.bifrost import scripts

OLD = "server:\n  store:\n    engine: sqlite\n    encryptionKey: OLDKEY\n"
NEW = "server:\n  store:\n    engine: sqlite\n    encryptionKey: NEWKEY\n"


def write(base: Path, relative: str, content: str, guard: bool = False,
          allow: bool = False) -> subprocess.CompletedProcess[str]:
    script = scripts.write_file(relative, guard_store_key=guard, allow_key_change=allow, base_dir=str(base))
    return subprocess.run(["bash", "-c", script], input=content, capture_output=True, text=True, check=False)


def test_writes_stdin_to_a_private_file_and_prints_nothing(tmp_path: Path) -> None:
    base = tmp_path / "bifrost"
    result = write(base, "env/traefik.env", 'CF_DNS_API_TOKEN="canary"\n')
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    target = base / "env" / "traefik.env"
    assert target.read_text() == 'CF_DNS_API_TOKEN="canary"\n'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(base.stat().st_mode) == 0o700
    assert [p.name for p in target.parent.iterdir()] == ["traefik.env"], "no temp file left behind"


def test_the_secret_never_reaches_the_script_text() -> None:
    script = scripts.write_file("env/traefik.env")
    assert "canary" not in script and "$(" in script  # only mktemp / dirname substitutions


def test_store_key_change_is_refused_without_the_override(tmp_path: Path) -> None:
    base = tmp_path / "bifrost"
    assert write(base, "netbird/config.yaml", OLD, guard=True).returncode == 0
    refused = write(base, "netbird/config.yaml", NEW, guard=True)
    assert refused.returncode == scripts.EXIT_KEY_CHANGE_REFUSED
    assert "refusing to replace the NetBird store encryption key" in refused.stderr
    assert "OLDKEY" not in refused.stderr and "NEWKEY" not in refused.stderr
    assert (base / "netbird" / "config.yaml").read_text() == OLD, "nothing lost"
    assert len(list((base / "netbird").iterdir())) == 1


def test_store_key_change_is_allowed_with_the_override(tmp_path: Path) -> None:
    base = tmp_path / "bifrost"
    write(base, "netbird/config.yaml", OLD, guard=True)
    allowed = write(base, "netbird/config.yaml", NEW, guard=True, allow=True)
    assert allowed.returncode == 0
    assert (base / "netbird" / "config.yaml").read_text() == NEW


def test_same_key_other_changes_pass_the_guard(tmp_path: Path) -> None:
    base = tmp_path / "bifrost"
    write(base, "netbird/config.yaml", OLD, guard=True)
    changed = OLD.replace("sqlite", "sqlite\n    dsn: ''")
    assert write(base, "netbird/config.yaml", changed, guard=True).returncode == 0
