"""Names the cluster side uses: namespaces, Secret names, labels, annotations and API versions.

Declared once so the wiring, the outputs, the offline checks and the tables of docs/reference.md agree.
"""

from __future__ import annotations

from typing import Final

# Platform namespaces (each created by the program, kept on delete: see docs/architecture.md, "The cluster").
NS_INFISICAL: Final = "infisical"
NS_EXTERNAL_SECRETS: Final = "external-secrets"
NS_INFISICAL_OPERATOR: Final = "infisical-operator-system"
NS_CERT_MANAGER: Final = "cert-manager"
NS_ARGOCD: Final = "argocd"
NS_CNPG: Final = "cnpg-system"

# Bootstrap Secrets.
SECRET_INFISICAL: Final = "infisical-secrets"
SECRET_MACHINE_IDENTITY: Final = "infisical-machine-identity"
SECRET_OPERATOR_IDENTITY: Final = "infisical-operator-identity"  # named <this>-<digest>: see plan.py
SECRET_CLOUDFLARE: Final = "cloudflare-api-token"
SECRET_ARGOCD_OIDC: Final = "argocd-oidc"
SECRET_DATABASE: Final = "infisical-db-credentials"  # CloudNativePG initdb owner (kubernetes.io/basic-auth)
SECRET_VALKEY_USERS: Final = "infisical-valkey-users"  # Valkey ACL users (auth.usersExistingSecret)
SECRET_INFISICAL_ADMIN: Final = "infisical-admin"  # the first admin's password, read by the provisioner Job

# Keys inside them that are fixed by their consumers.
KEY_CLIENT_ID: Final = "clientId"  # ESO universalAuthCredentials and the Infisical operator credentialsRef
KEY_CLIENT_SECRET: Final = "clientSecret"
KEY_OIDC_CLIENT_SECRET: Final = "clientSecret"
KEY_ADMIN_PASSWORD: Final = "password"
KEY_VALKEY_PASSWORD: Final = "default"  # the Valkey chart's default passwordKey is the user name

# Labels and annotations.
BOOTSTRAP_LABEL: Final = "homelab-secrets.io/bootstrap"  # a policy pack finds bootstrap Secrets by it
CREDENTIALS_DIGEST_ANNOTATION: Final = "homelab-secrets.io/credentials-digest"  # re-syncs on rotation
BOOTSTRAP_DIGEST_ANNOTATION: Final = "homelab-secrets.io/bootstrap-digest"  # rolls pods when their Secret changes
ARGOCD_PART_OF_LABEL: Final = "app.kubernetes.io/part-of"  # Argo CD resolves `$<secret>:<key>` only with it
ARGOCD_SYNC_OPTIONS: Final = "argocd.argoproj.io/sync-options"
BOOTSTRAP_SYNC_OPTIONS: Final = "Prune=false"  # Argo CD never prunes a bootstrap Secret

# Runtime sync.
STORE_NAME: Final = "infisical"
STORE_SECRETS_PATH: Final = "/"
HELM_RELEASE_TYPE: Final = "kubernetes:helm.sh/v3:Release"  # the type token of a Helm release
ESO_API_VERSION: Final = "external-secrets.io/v1"  # v1beta1 is no longer served by ESO 2.x
# InfisicalConnection, InfisicalAuth and InfisicalStaticSecret. Not v1alpha1 InfisicalSecret: its controller skips
# updates that leave metadata.generation unchanged and caches its login, so a rotation would never reach it.
INFISICAL_API_VERSION: Final = "secrets.infisical.com/v1beta1"
INFISICAL_CONNECTION: Final = "infisical"  # InfisicalConnection and InfisicalAuth, in NS_INFISICAL_OPERATOR
INFISICAL_AUTH: Final = "infisical-universal-auth"
CERT_MANAGER_API_VERSION: Final = "cert-manager.io/v1"
CNPG_API_VERSION: Final = "postgresql.cnpg.io/v1"
CREATION_POLICY: Final = "Owner"  # the synced Secret is deleted with its ExternalSecret/InfisicalStaticSecret

# Argo CD OIDC against Authentik (the OAuth2 provider's client ID and application slug).
ARGOCD_OIDC_CLIENT_ID: Final = "argocd"
ARGOCD_OIDC_APP_SLUG: Final = "argocd"

# Infisical's backing services, brought by charts that take their passwords from Secrets.
DATABASE_CLUSTER: Final = "infisical-db"  # CloudNativePG Cluster in NS_INFISICAL; the operator adds Service <name>-rw
DATABASE_NAME: Final = "infisical"
DATABASE_OWNER: Final = "infisical"
DATABASE_PORT: Final = 5432
# CloudNativePG's PostgreSQL operand image; the major stays 16 (a major upgrade is a deliberate pg_upgrade).
DATABASE_IMAGE: Final = "ghcr.io/cloudnative-pg/postgresql:16.13"  # renovate: docker
VALKEY_RELEASE: Final = "infisical-valkey"  # Valkey release in NS_INFISICAL; the chart's Service has its fullname
VALKEY_PORT: Final = 6379

# cert-manager.
ACME_ACCOUNT_KEY_SECRET: Final = "letsencrypt-account-key"  # created by cert-manager (privateKeySecretRef)
ACME_SERVERS: Final = {
    "production": "https://acme-v02.api.letsencrypt.org/directory",
    "staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
}
CLUSTER_ISSUER_ANNOTATION: Final = "cert-manager.io/cluster-issuer"  # ingress-shim issues the Ingress's TLS Secret
