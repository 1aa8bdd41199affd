"""The Kubernetes side: provider and namespaces, bootstrap Secrets, Helm releases, runtime sync.

Pure modules (`plan`, `values`, `manifests`, `charts`, `constants`) render dicts; the components
(`base`, `bootstrap`, `releases`, `sync`, `platform`) turn them into resources. Importing the package imports
none of them, so the policy pack (whose virtualenv has no pulumi_kubernetes) can read `constants`.
"""
