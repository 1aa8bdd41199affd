"""Names the cluster side uses: namespaces, Secret names, labels, annotations and API versions.

Declared once so the wiring, the outputs, the offline checks and the README table agree.
"""

from __future__ import annotations

from typing import Final

# Platform namespaces (each created by the program, kept on delete: see README "The cluster").
NS_INFISICAL: Final = "infisical"
NS_EXTERNAL_SECRETS: Final = "external-secrets"
NS_INFISICAL_OPERATOR: Final = "infisical-operator-system"
NS_CERT_MANAGER: Final = "cert-manager"
NS_ARGOCD: Final = "argocd"

# Bootstrap Secrets.
SECRET_INFISICAL: Final = "infisical-secrets"
SECRET_MACHINE_IDENTITY: Final = "infisical-machine-identity"
SECRET_CLOUDFLARE: Final = "cloudflare-api-token"
SECRET_INFISICAL_HELM: Final = "infisical-helm-secrets"
SECRET_ARGOCD_OIDC: Final = "argocd-oidc"

# Keys inside them that are fixed by their consumers.
KEY_CLIENT_ID: Final = "clientId"  # ESO universalAuthCredentials and the Infisical operator credentialsRef
KEY_CLIENT_SECRET: Final = "clientSecret"
KEY_HELM_VALUES: Final = "values.yaml"
KEY_OIDC_CLIENT_SECRET: Final = "clientSecret"

# Labels and annotations.
BOOTSTRAP_LABEL: Final = "homelab-secrets.io/bootstrap"  # a policy pack finds bootstrap Secrets by it
CREDENTIALS_DIGEST_ANNOTATION: Final = "homelab-secrets.io/credentials-digest"  # re-syncs on rotation
BOOTSTRAP_DIGEST_ANNOTATION: Final = "homelab-secrets.io/bootstrap-digest"  # rolls pods when their Secret changes
ARGOCD_PART_OF_LABEL: Final = "app.kubernetes.io/part-of"  # Argo CD resolves `$<secret>:<key>` only with it
ARGOCD_SYNC_OPTIONS: Final = "argocd.argoproj.io/sync-options"
BOOTSTRAP_SYNC_OPTIONS: Final = "Prune=false"  # Argo CD never prunes a bootstrap Secret
INFISICAL_SECRET_SYNC_OPTIONS: Final = "ServerSideApply=false"  # the v1alpha1 CRD breaks Argo CD's SSA diff

# Runtime sync.
STORE_NAME: Final = "infisical"
STORE_SECRETS_PATH: Final = "/"
ESO_API_VERSION: Final = "external-secrets.io/v1"  # v1beta1 is no longer served by ESO 2.x
INFISICAL_API_VERSION: Final = "secrets.infisical.com/v1alpha1"
CREATION_POLICY: Final = "Owner"  # the synced Secret is deleted with its ExternalSecret/InfisicalSecret

# Argo CD OIDC against Authentik (the OAuth2 provider's client ID and application slug).
ARGOCD_OIDC_CLIENT_ID: Final = "argocd"
ARGOCD_OIDC_APP_SLUG: Final = "argocd"
