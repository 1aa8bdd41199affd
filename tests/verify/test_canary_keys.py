"""Canary SSH keys: their public half is remembered in the check cache, and a remembered one is the real one."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from verify import cache_files, canaries


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(cache_files, "CHECK_CACHE", tmp_path)
    return tmp_path / "canary-keys"


def public_half(private_key: str) -> str:
    key = serialization.load_ssh_private_key(private_key.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


SEEDS = [canaries.digest(label) for label in ("host", "deploy", "other")]


def test_a_remembered_public_half_is_the_one_cryptography_derives(cache: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    derived = [canaries._derive_ed25519_public_key(seed) for seed in SEEDS]
    assert [canaries.ed25519_public_key(seed) for seed in SEEDS] == derived  # derived and remembered
    assert len(list(cache.iterdir())) == len(SEEDS)
    monkeypatch.setattr(canaries, "_derive_ed25519_public_key", lambda seed: pytest.fail("derived again"))
    assert [canaries.ed25519_public_key(seed) for seed in SEEDS] == derived  # read back


def test_a_canary_key_from_the_cache_is_a_valid_key_with_that_public_half(cache: Path) -> None:
    first = canaries.openssh_private_key("host")
    again = canaries.openssh_private_key("host")
    assert again == first
    public = base64.b64decode(public_half(again.value).split()[1])
    assert public.endswith(canaries._derive_ed25519_public_key(canaries.digest("host")))


def test_a_damaged_entry_is_derived_again(cache: Path) -> None:
    expected = canaries.openssh_private_key("host")
    (entry,) = cache.iterdir()
    entry.write_bytes(bytes(40))
    assert canaries.openssh_private_key("host") == expected
    entry.write_bytes(b"short")
    assert canaries.openssh_private_key("host") == expected


def test_an_unwritable_cache_still_gives_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(cache_files, "CHECK_CACHE", blocker)  # a file where the folder would be
    key = canaries.openssh_private_key("host")
    assert public_half(key.value).startswith("ssh-ed25519 ")
