"""The policy pack runs in its own virtualenv (policy/requirements.txt): no provider SDK is installed there."""

from __future__ import annotations

import subprocess
import sys

from verify import PROJECT_ROOT

PROVIDER_SDKS = ("pulumi_kubernetes", "pulumi_hcloud", "pulumi_command", "pulumi_random", "pulumi_tls")


def _import_without_providers(module: str) -> subprocess.CompletedProcess[str]:
    blocked = "; ".join(f"sys.modules[{name!r}] = None" for name in PROVIDER_SDKS)
    return subprocess.run([sys.executable, "-c", f"import sys; {blocked}; import {module}"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)


def test_the_pack_imports_without_any_provider_sdk() -> None:
    for module in ("policy.pack", "policy.rules"):
        result = _import_without_providers(module)
        assert result.returncode == 0, result.stderr


def test_the_check_fails_when_a_module_needs_a_provider_sdk() -> None:
    result = _import_without_providers("components.cluster.base")
    assert result.returncode != 0 and "pulumi_kubernetes" in result.stderr
