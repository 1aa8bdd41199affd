"""What a chart renders, read from its cited templates, for a chart whose source no copy exists of to render.

The offline check holds these objects to the checks that read objects: plaintext, references, consumers,
certificates, in-cluster URLs and the ingress-controller part of "nothing extra". Not to the checks that need the
whole render: schemas, container hardening and the workload list (`verify/function.py` skips them for objects
that are not a real render).
"""

from __future__ import annotations

from typing import Any

from components.cluster import values as cluster_values


def infisical(values: dict[str, Any], release_name: str) -> list[dict[str, Any]]:
    """What infisical-standalone renders from these values, read from its templates (Infisical/infisical,
    helm-charts/infisical-standalone-postgres/templates/infisical.yaml at 0deda063, ingress.yaml at 07679d93):

    - the Deployment's env has DB_CONNECTION_URI only with `postgresql.enabled` (a literal) or
      `postgresql.useExistingPostgresSecret.enabled`, REDIS_URL only with `redis.enabled`; `envFrom.secretRef`
      names `infisical.kubeSecretRef`;
    - the Service `<fullname>` (release-chart-infisical) listens on 8080;
    - `ingress.enabled` adds Ingress `infisical-ingress` to that Service, with `ingress.tls` as given.
    """
    infisical_values = values.get("infisical", {})
    env: list[dict[str, Any]] = []
    postgres, redis = values.get("postgresql", {}), values.get("redis", {})
    # _helpers.tpl: infisical.postgresDBConnectionString and infisical.redisConnectionString, chart defaults.
    if postgres.get("enabled", True):
        auth = postgres.get("auth", {})
        env.append({"name": "DB_CONNECTION_URI", "value": f"postgresql://{auth.get('username', 'infisical')}:"
                    f"{auth.get('password', 'root')}@postgresql:5432/{auth.get('database', 'infisicalDB')}"})
    if redis.get("enabled", True):
        env.append({"name": "REDIS_URL",
                    "value": f"redis://default:{redis.get('auth', {}).get('password', 'mysecretpassword')}"
                             "@redis-master:6379"})
    container: dict[str, Any] = {"name": "infisical",
                                 "envFrom": [{"secretRef": {"name": infisical_values["kubeSecretRef"]}}]}
    if env:
        container["env"] = env
    objects: list[dict[str, Any]] = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": cluster_values.INFISICAL_SERVICE},
         "spec": {"template": {"spec": {"containers": [container]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": cluster_values.INFISICAL_SERVICE},
         "spec": {"ports": [{"port": cluster_values.INFISICAL_PORT}]}},
    ]
    ingress = values.get("ingress", {})
    if ingress.get("enabled", True):
        objects.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                        "metadata": {"name": "infisical-ingress", "annotations": ingress.get("annotations", {})},
                        "spec": {"tls": ingress.get("tls", [])}})
    if ingress.get("nginx", {}).get("enabled", True):
        # The bundled subchart ingress-nginx 4.0.13 (Chart.yaml dependency, condition ingress.nginx.enabled): its
        # controller Deployment, labelled as that chart labels it (templates/controller-deployment.yaml).
        objects.append({"apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": f"{release_name}-ingress-nginx-controller",
                                     "labels": {"app.kubernetes.io/name": "ingress-nginx",
                                                "app.kubernetes.io/component": "controller"}},
                        "spec": {"template": {"spec": {"containers": [{"name": "controller"}]}}}})
    return objects
