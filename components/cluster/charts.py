"""The Helm charts the program installs: pinned versions, repositories and release placement.

`open_maps` lists the value paths a chart documents as free-form maps (any key is passed through), so a
key set under them need not appear in the chart's values.yaml; every other value path must.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.cluster import constants as c

ValuePath = tuple[str, ...]


@dataclass(frozen=True)
class ChartPin:
    key: str  # Pulumi resource name of the release
    chart: str
    version: str
    repository: str
    release_name: str
    namespace: str
    open_maps: tuple[ValuePath, ...] = ()


EXTERNAL_SECRETS = ChartPin(
    key="external-secrets", chart="external-secrets", version="2.9.0",
    repository="https://charts.external-secrets.io", release_name="external-secrets",
    namespace=c.NS_EXTERNAL_SECRETS)

INFISICAL_OPERATOR = ChartPin(
    key="secrets-operator", chart="secrets-operator", version="v0.11.5",
    repository="https://dl.cloudsmith.io/public/infisical/helm-charts/helm/charts/",
    release_name="secrets-operator", namespace=c.NS_INFISICAL_OPERATOR)

INFISICAL = ChartPin(
    key="infisical", chart="infisical-standalone", version="1.7.5",
    repository="https://dl.cloudsmith.io/public/infisical/helm-charts/helm/charts/",
    release_name="infisical", namespace=c.NS_INFISICAL,
    # "Custom annotations for Infisical pods", an empty map in values.yaml.
    open_maps=(("infisical", "podAnnotations"),))

ARGOCD = ChartPin(
    key="argo-cd", chart="argo-cd", version="10.1.1",
    repository="https://argoproj.github.io/argo-helm", release_name="argocd", namespace=c.NS_ARGOCD,
    # "Any values you put under `.configs.cm` are passed to argocd-cm ConfigMap" (the chart's values.yaml).
    open_maps=(("configs", "cm"),))

ALL: tuple[ChartPin, ...] = (EXTERNAL_SECRETS, INFISICAL_OPERATOR, INFISICAL, ARGOCD)
BY_CHART: dict[str, ChartPin] = {pin.chart: pin for pin in ALL}
