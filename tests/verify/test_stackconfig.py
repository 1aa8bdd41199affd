"""Reading the stack file: libyaml gives what the pure-Python loader gives, and bad YAML is one clean error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from verify import PROJECT_ROOT, stackconfig
from verify.__main__ import EXIT_BAD_CONFIG, check


def test_libyaml_reads_the_stack_as_the_pure_python_loader_does(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = stackconfig.load_stack("prod")
    monkeypatch.delattr(yaml, "CSafeLoader")
    slow = stackconfig.load_stack("prod")
    assert (fast.values, fast.secret_keys, fast.canaries) == (slow.values, slow.secret_keys, slow.canaries)
    assert fast.values["homelab-secrets:apps"].startswith("[{")


def test_malformed_stack_yaml_is_one_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.broken.yaml").write_text("config:\n  homelab-secrets:apps: [unclosed\n")
    assert check("broken", tmp_path) == EXIT_BAD_CONFIG
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and "line" in err
