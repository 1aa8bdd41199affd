"""The Kubernetes kinds the cluster side creates, registered without the typed SDK modules.

`pulumi_kubernetes.core.v1` is one module with every core kind: importing it costs about 0.85 s, paid
by every `pulumi preview`, `pulumi up` and offline check; `pulumi_kubernetes.helm.v3` imports `requests` and
the YAML module (about 0.1 s), `pulumi_kubernetes.apiextensions` the typed `meta.v1`. These classes register
exactly what the typed classes of pulumi-kubernetes 4.34.2 register (type token, inputs under their wire names,
the same default options and secret outputs; `core/v1/Namespace.py`, `core/v1/Secret.py`,
`apiextensions/CustomResource.py`, `helm/v3/Release.py`), so the engine and the provider see no difference;
tests/components/cluster/test_untyped_kinds.py registers both under the mocks and compares the requests.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import pulumi

from components import sdk_internals
from components.cluster.constants import HELM_RELEASE_TYPE
from components.secret_output import secret


@functools.cache
def _defaults() -> pulumi.ResourceOptions:
    # One object for every resource: `ResourceOptions.merge` copies its first argument and changes neither.
    return sdk_internals.kubernetes_resource_defaults()


def _options(opts: pulumi.ResourceOptions | None, **extra: Any) -> pulumi.ResourceOptions:
    merged = pulumi.ResourceOptions.merge(_defaults(), opts)
    return pulumi.ResourceOptions.merge(merged, pulumi.ResourceOptions(**extra)) if extra else merged


class Namespace(pulumi.CustomResource):
    def __init__(self, name: str, metadata: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        props = {"apiVersion": "v1", "kind": "Namespace", "metadata": dict(metadata), "spec": None,
                 "status": None}
        super().__init__("kubernetes:core/v1:Namespace", name, props, _options(opts))


class Secret(pulumi.CustomResource):
    def __init__(self, name: str, metadata: Mapping[str, Any], string_data: Mapping[str, pulumi.Input[str]],
                 secret_type: str = "Opaque", opts: pulumi.ResourceOptions | None = None) -> None:
        props = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": dict(metadata),
            "stringData": secret(pulumi.Output.from_input(dict(string_data))),  # type: ignore[arg-type]
            "type": secret_type,
            "data": None,
            "immutable": None,
        }
        super().__init__("kubernetes:core/v1:Secret", name, props,
                         _options(opts, additional_secret_outputs=["data", "stringData"]))


def type_token(api_version: str, kind: str) -> str:
    """The Kubernetes provider's type token: `kubernetes:<group or core>/<version>:<Kind>`."""
    group, _, version = api_version.rpartition("/")
    return f"kubernetes:{group or 'core'}/{version}:{kind}"


class Object(pulumi.CustomResource):
    """Any other core-group or built-in kind (ServiceAccount, Role, ConfigMap, Job, ...) from its manifest.

    Registered with the same type token and inputs the typed class would send; the provider awaits each kind as
    it always does (a Job until it completes).
    """

    def __init__(self, name: str, manifest: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        props = dict(manifest)
        super().__init__(type_token(str(props["apiVersion"]), str(props["kind"])), name, props, _options(opts))


class CustomResource(pulumi.CustomResource):
    """A custom resource (ExternalSecret, InfisicalSecret, ClusterIssuer, ...): `kubernetes:<apiVersion>:<Kind>`,
    the token `apiextensions.CustomResource` builds, with the same four inputs."""

    def __init__(self, name: str, api_version: str, kind: str, metadata: Mapping[str, Any], spec: Any,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        props = {"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec}
        super().__init__(f"kubernetes:{api_version}:{kind}", name, props, _options(opts))


RELEASE_TYPE = HELM_RELEASE_TYPE


class Release(pulumi.CustomResource):
    """A Helm release from a chart repository (`helm.v3.Release`): the inputs the program sets, `compat` as the
    typed class always sets it, and every other input and the `status` output unset, as the typed class leaves
    them (an unset input is not sent; an unset output is filled from the provider's state)."""

    def __init__(self, name: str, *, release_name: str, chart: str, version: str, repository: str, namespace: str,
                 values: Mapping[str, Any], timeout: int, max_history: int,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = dict.fromkeys(_RELEASE_UNSET)
        props.update({
            "chart": chart, "compat": "true", "createNamespace": False, "maxHistory": max_history,
            "name": release_name, "namespace": namespace, "repositoryOpts": {"repo": repository},
            "timeout": timeout, "values": values, "version": version,
        })
        super().__init__(RELEASE_TYPE, name, props, _options(opts))


_RELEASE_UNSET = (
    "allowNullValues", "atomic", "cleanupOnFail", "dependencyUpdate", "description", "devel", "disableCRDHooks",
    "disableOpenapiValidation", "disableWebhooks", "forceUpdate", "keyring", "lint", "manifest", "postrender",
    "recreatePods", "renderSubchartNotes", "replace", "resetValues", "resourceNames", "reuseValues", "skipAwait",
    "skipCrds", "takeOwnership", "valueYamlFiles", "verify", "waitForJobs", "status",
)
