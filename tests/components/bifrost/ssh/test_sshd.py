"""The test sshd itself: it starts on another port when the one it picked was taken meanwhile."""

from __future__ import annotations

import socket
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.components.bifrost.ssh.sshd import Sshd, skip_without_sshd


def key_pair() -> tuple[str, str]:
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return private, public


def test_a_port_taken_before_sshd_binds_it_is_replaced_by_another(tmp_path: Path) -> None:
    skip_without_sshd()
    (host_private, host_public), (client_private, client_public) = key_pair(), key_pair()
    server = Sshd(tmp_path, host_private, "PasswordAuthentication no\n", client_private,
                  client_public, {})
    taken = server.port
    with socket.socket() as other:
        other.bind(("127.0.0.1", taken))
        other.listen()
        server.start()
        try:
            assert server.port != taken
            assert server.run("true", host_public).returncode == 0
        finally:
            server.stop()
