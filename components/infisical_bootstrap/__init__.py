"""Provisions Infisical from inside the cluster: a Job that bootstraps the instance and issues the machine identity.

The runtime modules (transport, logs, api, kube, provision, __main__) use the standard library only: they
are shipped in a ConfigMap and run in a stock python image. `manifests` renders the Kubernetes objects.
"""
