"""What the Authentik blueprint declares: OAuth2 clients of Argo CD and Grafana, the admin group, GitHub login."""

from __future__ import annotations

from components.config import fields
from components.config.model import IdentitySettings
from components.config.problems import quote_plain, set_command
from components.config.reader import Reader
from components.config.shared import Shared


def read_identity(r: Reader, shared: Shared) -> IdentitySettings:
    group = r.text("argocdAdminGroup", "argocd-admins")
    if not fields.GROUP_NAME.fullmatch(group):
        r.problem("argocdAdminGroup", "must be 1 to 63 letters, digits, spaces, `_`, `.` or `-` (it is a line of "
                  f"Argo CD's RBAC CSV), not {quote_plain(group)}", set_command("argocdAdminGroup", "argocd-admins"))
    client_id = r.raw_text("githubOauthClientId")
    if client_id and not fields.OAUTH_CLIENT_ID.fullmatch(client_id):
        r.problem("githubOauthClientId", f"is not a GitHub OAuth client ID ({quote_plain(client_id)})",
                  set_command("githubOauthClientId", "Ov23liExampleClientId"))
    return IdentitySettings(
        argocd_host=shared.argocd_host,
        grafana_host=r.domain("grafanaHost", "grafana.example.com", required=False),
        argocd_admin_group=group,
        github_client_id=client_id,
    )
