"""The two core kinds the cluster side creates, Namespace and Secret, registered without the typed SDK.

`pulumi_kubernetes.core.v1` is one module with every core kind: importing it costs about 0.85 s, paid
by every `pulumi preview`, `pulumi up` and offline check. These classes register exactly what the typed
classes register (type token, apiVersion/kind, the same default options, `stringData` as a secret and
`data`/`stringData` as secret outputs), so the engine and the provider see no difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from components import sdk_internals
from components.secret_output import secret


def _options(opts: pulumi.ResourceOptions | None, **extra: Any) -> pulumi.ResourceOptions:
    merged = pulumi.ResourceOptions.merge(sdk_internals.kubernetes_resource_defaults(), opts)
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
