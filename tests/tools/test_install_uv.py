"""tools/install_uv.py, offline: a fake wheel served on loopback, the sha256 pin enforced, nothing left on failure."""

from __future__ import annotations

import hashlib
import http.server
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from types import ModuleType

import pytest

from verify import PROJECT_ROOT

INSTALLER = PROJECT_ROOT / "tools" / "install_uv.py"
FAKE_UV = b"#!/bin/sh\necho 'uv 0.0.0 (fake)'\n"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("install_uv", INSTALLER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["install_uv"] = module
    spec.loader.exec_module(module)
    return module


install_uv = _load()


def fake_wheel(version: str = install_uv.VERSION, member: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr(member or f"uv-{version}.data/scripts/uv", FAKE_UV)
        wheel.writestr(f"uv-{version}.dist-info/METADATA", "Name: uv\n")
    return buffer.getvalue()


@pytest.fixture
def files(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1 (PyPI's files host stand-in) and its base URL."""
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def publish(served: Path, path: str, content: bytes) -> None:
    target = served / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)


def test_the_pinned_wheel_is_installed_as_an_executable(files: tuple[Path, str], tmp_path: Path) -> None:
    served, base = files
    content = fake_wheel()
    wheel = install_uv.Wheel("ab/cd/uv-fake.whl", hashlib.sha256(content).hexdigest())
    publish(served, wheel.path, content)
    binary = install_uv.install(wheel, tmp_path / "dest", base)
    assert binary == tmp_path / "dest" / "bin" / "uv"
    assert binary.read_bytes() == FAKE_UV and os.access(binary, os.X_OK)
    assert subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout == "uv 0.0.0 (fake)\n"
    assert sorted(path.name for path in (tmp_path / "dest").iterdir()) == ["bin"]  # no download left behind
    (served / wheel.path).unlink()
    assert install_uv.install(wheel, tmp_path / "dest", base) == binary  # installed: nothing downloaded again


def test_a_hash_mismatch_installs_nothing_and_says_so(files: tuple[Path, str], tmp_path: Path) -> None:
    served, base = files
    wheel = install_uv.Wheel("ab/cd/uv-fake.whl", "0" * 64)
    publish(served, wheel.path, fake_wheel())
    with pytest.raises(install_uv.InstallError) as raised:
        install_uv.install(wheel, tmp_path / "dest", base)
    assert raised.value.code == install_uv.EXIT_MISMATCH
    message = str(raised.value)
    assert f"sha256 mismatch for uv-fake.whl from {base}ab/cd/uv-fake.whl: expected {'0' * 64}, got " in message
    assert "nothing was installed" in message and "tools/install_uv.py" in message
    assert list((tmp_path / "dest" / "bin").iterdir()) == []


def test_a_file_that_is_not_a_uv_wheel_is_refused(files: tuple[Path, str], tmp_path: Path) -> None:
    served, base = files
    content = fake_wheel(member="something/else")
    wheel = install_uv.Wheel("ab/cd/uv-fake.whl", hashlib.sha256(content).hexdigest())
    publish(served, wheel.path, content)
    with pytest.raises(install_uv.InstallError, match="is not a uv wheel") as raised:
        install_uv.install(wheel, tmp_path / "dest", base)
    assert raised.value.code == install_uv.EXIT_MISMATCH


def test_a_failed_download_names_the_url(files: tuple[Path, str], tmp_path: Path) -> None:
    _, base = files
    wheel = install_uv.Wheel("ab/cd/missing.whl", "0" * 64)
    with pytest.raises(install_uv.InstallError, match=f"could not download {base}ab/cd/missing.whl") as raised:
        install_uv.install(wheel, tmp_path / "dest", base)
    assert raised.value.code == install_uv.EXIT_DOWNLOAD


def test_the_command_line_checks_the_real_pin(files: tuple[Path, str], tmp_path: Path) -> None:
    """The script as make runs it, against a mirror serving a wheel that is not the pinned one: exit 2."""
    served, base = files
    try:
        pinned = install_uv.wheel_for("Linux", os.uname().machine)
    except install_uv.InstallError:
        pytest.skip(f"no pinned uv wheel for {os.uname().machine}")
    publish(served, pinned.path, fake_wheel())
    result = subprocess.run([sys.executable, str(INSTALLER), "--dest", str(tmp_path / "dest")],
                            env={**os.environ, "HOMELAB_UV_BASE_URL": base}, capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == install_uv.EXIT_MISMATCH, result.stderr
    assert result.stderr.startswith(f"install_uv: error: sha256 mismatch for {pinned.filename}")
    assert not (tmp_path / "dest" / "bin" / "uv").exists() and result.stdout == ""


@pytest.mark.parametrize(("system", "machine"), [("Darwin", "arm64"), ("Linux", "riscv64"), ("Windows", "AMD64")])
def test_a_platform_without_a_pin_is_told_what_to_do(system: str, machine: str) -> None:
    with pytest.raises(install_uv.InstallError, match=r"install uv .* yourself") as raised:
        install_uv.wheel_for(system, machine)
    assert raised.value.code == install_uv.EXIT_UNSUPPORTED


def test_each_pin_is_a_wheel_of_the_pinned_version() -> None:
    for arch, wheel in install_uv.WHEELS.items():
        assert wheel.filename.startswith(f"uv-{install_uv.VERSION}-py3-none-") and arch in wheel.filename
        assert len(wheel.sha256) == 64 and int(wheel.sha256, 16) >= 0
    assert install_uv.wheel_for("Linux", "amd64") is install_uv.WHEELS["x86_64"]


def test_make_and_ci_use_the_installer_when_no_uv_is_on_path(tmp_path: Path) -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    path = os.pathsep.join([str(Path(make).parent), "/bin"])
    if shutil.which("uv", path=path):
        pytest.skip("uv is installed system-wide here, so make would use it")
    result = subprocess.run([make, "-n", "-C", str(PROJECT_ROOT), "setup"], env={"PATH": path},
                            capture_output=True, text=True, check=True, timeout=30)
    assert "python3 tools/install_uv.py" in result.stdout and ".tools/bin/uv sync --locked" in result.stdout
    assert "pip install" not in result.stdout  # PEP 668 refuses it on a system Python
    ci = [line for line in (PROJECT_ROOT / ".ci" / "run").read_text().splitlines() if not line.startswith("#")]
    assert "make setup" in [line.strip() for line in ci]  # which runs the installer, as shown above
    assert not any("pip install" in line for line in ci)
