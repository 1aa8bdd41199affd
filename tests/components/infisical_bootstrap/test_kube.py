"""The in-cluster Kubernetes client against a local API double: service-account files, TLS with the
cluster CA, merge patches under its own field manager, and errors that name the Secret and the fix."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.infisical_bootstrap.kube import FIELD_MANAGER, KubeClient, KubeError, SecretRef
from tests.components.infisical_bootstrap.fake_kube import TOKEN, FakeKube

REF = SecretRef("external-secrets", "infisical-machine-identity")


@pytest.fixture
def kube() -> Iterator[tuple[FakeKube, str]]:
    fake = FakeKube()
    fake.create(REF.namespace, REF.name)
    with fake.running() as url:
        yield fake, url


def client(url: str, token: str = TOKEN) -> KubeClient:
    return KubeClient(url, token, lambda line: None)


def test_an_empty_secret_reads_as_no_data(kube: tuple[FakeKube, str]) -> None:
    _, url = kube
    assert client(url).read_secret(REF) == {}


def test_a_patch_sets_keys_under_its_field_manager_and_keeps_the_others(kube: tuple[FakeKube, str]) -> None:
    fake, url = kube
    fake.create(REF.namespace, REF.name, {"other": "kept"})
    client(url).patch_secret(REF, {"clientId": "id-1", "clientSecret": "s\u00e9cret\n"})
    assert client(url).read_secret(REF) == {"other": "kept", "clientId": "id-1", "clientSecret": "s\u00e9cret\n"}
    (patch,) = [e for e in fake.timeline.exchanges if e.method == "PATCH"]
    assert patch.query == {"fieldManager": FIELD_MANAGER}
    assert patch.headers["Content-Type"] == "application/merge-patch+json"
    assert patch.path == "/api/v1/namespaces/external-secrets/secrets/infisical-machine-identity"


@pytest.mark.parametrize(("status", "hint"), [
    (401, "token was rejected"), (403, "resourceNames"), (404, "creates it (empty) before the Job"),
])
def test_errors_name_the_secret_and_the_fix(kube: tuple[FakeKube, str], status: int, hint: str) -> None:
    fake, url = kube
    token = TOKEN
    if status == 401:
        token = "wrong"
    elif status == 403:
        fake.allowed = set()
    else:
        fake.secrets.clear()
    with pytest.raises(KubeError) as caught:
        client(url, token).read_secret(REF)
    assert caught.value.status == status
    assert str(REF) in str(caught.value) and hint in str(caught.value)


def _certificate(directory: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (Debian package openssl)")
    key, cert = directory / "tls.key", directory / "ca.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=kubernetes",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return key, cert


def test_in_cluster_uses_the_service_account_token_and_verifies_the_cluster_ca(tmp_path: Path) -> None:
    key, cert = _certificate(tmp_path)
    (tmp_path / "token").write_text(TOKEN + "\n")
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    fake = FakeKube()
    fake.create(REF.namespace, REF.name, {"clientId": "id-1"})
    with fake.running(wrap=lambda sock: server_context.wrap_socket(sock, server_side=True)) as url:
        port = url.rsplit(":", 1)[1]
        environ = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": port}
        assert KubeClient.in_cluster(lambda line: None, tmp_path, environ).read_secret(REF) == {"clientId": "id-1"}
        # Another CA: the TLS handshake fails, so no token is ever sent to a server the cluster did not sign.
        other = tmp_path / "other"
        other.mkdir()
        _, other_cert = _certificate(other)
        (other / "token").write_text(TOKEN)
        untrusted = KubeClient.in_cluster(lambda line: None, other, environ)
        with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
            untrusted._transport._once("GET", url + "/api/v1/namespaces/x/secrets/y", None, {})
    assert other_cert.exists()


def test_in_cluster_outside_a_pod_says_so(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="runs inside a Kubernetes pod"):
        KubeClient.in_cluster(lambda line: None, tmp_path, {})
