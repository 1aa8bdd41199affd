"""Plain resources for the policy tests: compliant by default, one override away from a violation."""

from __future__ import annotations

from typing import Any

from verify.mocks import SECRET_SIG, SECRET_SIG_KEY

HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyForPolicyTests0123456789abcdef"
COMMAND = "command:remote:Command"
COPY_TO_REMOTE = "command:remote:CopyToRemote"
SERVER = "hcloud:index/server:Server"
FIREWALL = "hcloud:index/firewall:Firewall"
RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
WRITE_SCRIPT = "set -eu\numask 077\ncat > /etc/bifrost/.env.tmp && mv /etc/bifrost/.env.tmp /etc/bifrost/.env\n"





def secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


def connection(**overrides: Any) -> dict[str, Any]:
    return {"host": "203.0.113.10", "port": 22, "user": "root", "privateKey": "not-a-key",
            "hostKey": HOST_KEY, **overrides}


def writer(**overrides: Any) -> dict[str, Any]:
    """A remote Command that writes a secret file the way the product does."""
    return {"connection": connection(), "create": WRITE_SCRIPT, "stdin": "SECRET=value\n", "logging": "none",
            "addPreviousOutputInEnv": False, **overrides}


def runner(**overrides: Any) -> dict[str, Any]:
    """A remote Command that writes no file."""
    return {"connection": connection(), "create": "bash /etc/bifrost/bootstrap.sh --stage-timeout 300",
            **overrides}


def copy_to_remote(**overrides: Any) -> dict[str, Any]:
    return {"connection": connection(), "remotePath": "/etc/bifrost/bootstrap.sh", **overrides}


def server(**overrides: Any) -> dict[str, Any]:
    return {"name": "bifrost", "serverType": "cx23", "image": "ubuntu-24.04", "location": "nbg1",
            "deleteProtection": True, "rebuildProtection": True, **overrides}


WORLD = ["0.0.0.0/0", "::/0"]


def inbound(protocol: str, port: str | None, sources: list[str] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"direction": "in", "protocol": protocol, "sourceIps": sources or WORLD}
    if port is not None:
        rule["port"] = port
    return rule


def firewall(*extra_rules: dict[str, Any]) -> dict[str, Any]:
    rules = [inbound("tcp", "80"), inbound("tcp", "443"), inbound("udp", "3478"),
             inbound("tcp", "22", ["198.51.100.7/32"]), *extra_rules]
    return {"name": "bifrost", "rules": rules}


def release(**overrides: Any) -> dict[str, Any]:
    return {"name": "external-secrets", "chart": "external-secrets", "version": "2.9.0",
            "namespace": "external-secrets", "repositoryOpts": {"repo": "https://charts.external-secrets.io"},
            **overrides}


def bootstrap_secret(annotations: dict[str, str] | None = None, bootstrap: str | None = "true") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "infisical-secrets", "namespace": "infisical"}
    if bootstrap is not None:
        metadata["labels"] = {"homelab-secrets.io/bootstrap": bootstrap}
    metadata["annotations"] = (annotations if annotations is not None
                               else {"argocd.argoproj.io/sync-options": "Prune=false"})
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "Opaque",
            "stringData": {"ENCRYPTION_KEY": "0123456789abcdef0123456789abcdef"}}


def external_secret(api_version: str = "external-secrets.io/v1") -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": "ExternalSecret",
            "metadata": {"name": "grafana", "namespace": "monitoring"},
            "spec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "infisical"},
                     "target": {"name": "grafana-secret"}, "data": []}}
