# Ensures the Authentik API token `bifrost-automation` (akadmin, intent API, non-expiring) holds the
# key in this container's BIFROST_API_TOKEN. Fed to `ak shell` on stdin by bootstrap.sh; the key never
# travels in an argument. Prints one status line and nothing else: never the key, never a traceback
# (a database error can quote the values it rejected).
#
# No blank line inside a block: should `ak shell` fall back to its interactive console, a blank line
# ends the block there.
import os

from authentik.core.models import Token, TokenIntents, User

STATUS = "bifrost-automation token:"


def ensure_token() -> str:
    key = os.environ.get("BIFROST_API_TOKEN", "")
    if not key:
        return "missing-key"
    user = User.objects.get(username="akadmin")
    token, created = Token.objects.get_or_create(
        identifier="bifrost-automation",
        defaults={
            "user": user,
            "intent": TokenIntents.INTENT_API,
            "expiring": False,
            "key": key,
            "description": "Bifrost automation (managed by Pulumi)",
        },
    )
    if created:
        return "created"
    changed = []
    if token.key != key:
        token.key = key
        changed.append("key")
    if token.intent != TokenIntents.INTENT_API:
        token.intent = TokenIntents.INTENT_API
        changed.append("intent")
    if token.expiring:
        token.expiring = False
        changed.append("expiring")
    if token.user_id != user.pk:
        token.user = user
        changed.append("user")
    if not changed:
        return "unchanged"
    token.save(update_fields=changed)
    return "updated"


try:
    print(STATUS, ensure_token())
except Exception as error:
    print(STATUS, "error", type(error).__name__)

