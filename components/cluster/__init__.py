"""The Kubernetes side: provider and namespaces, bootstrap Secrets, Helm releases, runtime sync.

Pure modules (`plan`, `values`, `manifests`, `charts`, `constants`) render dicts; the components
(`base`, `bootstrap`, `releases`, `sync`, `platform`) turn them into resources.
"""

from components.cluster.platform import ClusterPlatform

__all__ = ["ClusterPlatform"]
