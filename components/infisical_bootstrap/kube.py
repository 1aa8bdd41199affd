"""A minimal in-cluster Kubernetes client: read and patch the few Secrets the Job owns (stdlib only).

It authenticates with the pod's service-account token and trusts the cluster CA mounted beside it
(`/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt}`), and finds the API server through the
`KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT` variables the kubelet sets. Its Role grants only `get`
and `patch` on named Secrets, so the Secrets must exist before the Job runs: the program creates them
empty, and the Job fills their `data` with a JSON merge patch under its own field manager.
"""

from __future__ import annotations

import base64
import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .transport import RetryPolicy, Transport

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
FIELD_MANAGER = "infisical-bootstrap"
MERGE_PATCH = "application/merge-patch+json"


@dataclass(frozen=True)
class SecretRef:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


class KubeError(Exception):
    def __init__(self, status: int, ref: SecretRef, action: str, hint: str = "") -> None:
        self.status = status
        self.ref = ref
        super().__init__(f"Secret {ref}: {action} failed with status {status}" + (f": {hint}" if hint else ""))


_HINTS = {
    401: "the service-account token was rejected",
    403: "the Job's Role does not grant this verb on this Secret (check its resourceNames)",
    404: "the Secret does not exist: the program creates it (empty) before the Job; run `pulumi up` again",
}


class KubeClient:
    def __init__(self, api_url: str, token: str, log: Callable[[str], None],
                 ssl_context: ssl.SSLContext | None = None, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        self._transport = Transport(api_url, log, retry, ssl_context=ssl_context, sleep=sleep, label="kubernetes")
        self._headers = {"Authorization": f"Bearer {token}"}

    @classmethod
    def in_cluster(cls, log: Callable[[str], None], root: Path = SERVICE_ACCOUNT_DIR,
                   environ: Mapping[str, str] = os.environ) -> KubeClient:
        host = environ.get("KUBERNETES_SERVICE_HOST", "")
        port = environ.get("KUBERNETES_SERVICE_PORT", "443")
        if not host:
            raise RuntimeError("KUBERNETES_SERVICE_HOST is not set: this program runs inside a Kubernetes pod")
        if ":" in host:  # an IPv6 service address
            host = f"[{host}]"
        token = (root / "token").read_text().strip()
        context = ssl.create_default_context(cafile=str(root / "ca.crt"))
        return cls(f"https://{host}:{port}", token, log, ssl_context=context)

    def _path(self, ref: SecretRef) -> str:
        return f"/api/v1/namespaces/{ref.namespace}/secrets/{ref.name}"

    def read_secret(self, ref: SecretRef) -> dict[str, str]:
        """The Secret's data, decoded (an empty Secret gives {})."""
        response = self._transport.send("GET", self._path(ref), headers=self._headers)
        if response.status != 200:
            raise KubeError(response.status, ref, "get", _HINTS.get(response.status, ""))
        data = (response.body or {}).get("data") or {}
        return {key: base64.b64decode(value).decode() for key, value in data.items()}

    def patch_secret(self, ref: SecretRef, values: Mapping[str, str]) -> None:
        """Sets these keys of the Secret's data (a JSON merge patch: other keys stay as they are)."""
        body = {"data": {key: base64.b64encode(value.encode()).decode() for key, value in sorted(values.items())}}
        response = self._transport.send("PATCH", self._path(ref), body, query={"fieldManager": FIELD_MANAGER},
                                        headers=self._headers, content_type=MERGE_PATCH)
        if response.status != 200:
            raise KubeError(response.status, ref, "patch", _HINTS.get(response.status, ""))
