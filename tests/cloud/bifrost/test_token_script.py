"""cloud/bifrost/authentik/ensure_api_token.py against a stand-in of Authentik's models.

`ak shell` executes a script on stdin; should it fall back to its interactive console instead, the
script must still work there. Both modes are run here, the way bootstrap.sh feeds it (plus a newline).
"""

from __future__ import annotations

import code
import contextlib
import io
import sys
import types
from typing import Any

import pytest

from fakes.bifrost.harness import BIFROST_SOURCE

SCRIPT = (BIFROST_SOURCE / "authentik" / "ensure_api_token.py").read_text()
KEY = "canary-api-key-0f3e2d1c"


class User:
    def __init__(self, pk: int, username: str) -> None:
        self.pk = pk
        self.username = username


class UserManager:
    def __init__(self, users: list[User], error: Exception | None = None) -> None:
        self.users = users
        self.error = error

    def get(self, username: str) -> User:
        if self.error is not None:
            raise self.error
        return next(user for user in self.users if user.username == username)


class Token:
    objects: TokenManager

    def __init__(self, identifier: str, user: User, intent: str, expiring: bool, key: str,
                 description: str = "") -> None:
        self.identifier = identifier
        self.user = user
        self.intent = intent
        self.expiring = expiring
        self.key = key
        self.description = description
        self.saved: list[list[str]] = []

    @property
    def user_id(self) -> int:
        return self.user.pk

    def save(self, update_fields: list[str]) -> None:
        self.saved.append(list(update_fields))


class TokenManager:
    def __init__(self) -> None:
        self.tokens: dict[str, Token] = {}

    def get_or_create(self, identifier: str, defaults: dict[str, Any]) -> tuple[Token, bool]:
        if identifier in self.tokens:
            return self.tokens[identifier], False
        token = Token(identifier=identifier, **defaults)
        self.tokens[identifier] = token
        return token, True


class TokenIntents:
    INTENT_API = "api"


AKADMIN = User(1, "akadmin")
OTHER = User(2, "someone")


@pytest.fixture
def models(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("authentik.core.models")
    module.Token = Token  # type: ignore[attr-defined]
    module.TokenIntents = TokenIntents  # type: ignore[attr-defined]
    module.User = type("User", (), {"objects": UserManager([AKADMIN, OTHER])})  # type: ignore[attr-defined]
    Token.objects = TokenManager()
    for name in ("authentik", "authentik.core"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "authentik.core.models", module)
    monkeypatch.setenv("BIFROST_API_TOKEN", KEY)
    return module


def run_script(interactive: bool) -> str:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        if interactive:
            console = code.InteractiveConsole({"__name__": "__console__"})
            for line in (SCRIPT + "\n").splitlines():
                console.push(line)
        else:
            exec(compile(SCRIPT, "<stdin>", "exec"), {"__name__": "__main__"})  # noqa: S102 (as ak shell does)
    return output.getvalue()


MODES = pytest.mark.parametrize("interactive", [False, True], ids=["stdin", "console"])


@MODES
def test_creates_the_token_for_akadmin(models: types.ModuleType, interactive: bool) -> None:
    assert run_script(interactive).splitlines() == ["bifrost-automation token: created"]
    token = Token.objects.tokens["bifrost-automation"]
    assert (token.key, token.intent, token.expiring, token.user) == (KEY, "api", False, AKADMIN)


@MODES
def test_a_matching_token_is_left_alone(models: types.ModuleType, interactive: bool) -> None:
    run_script(interactive)
    assert run_script(interactive).splitlines() == ["bifrost-automation token: unchanged"]
    assert Token.objects.tokens["bifrost-automation"].saved == []


@MODES
def test_a_rotated_key_is_updated_in_place(models: types.ModuleType, interactive: bool) -> None:
    stale = Token("bifrost-automation", OTHER, "recovery", True, "old-key")
    Token.objects.tokens[stale.identifier] = stale
    assert run_script(interactive).splitlines() == ["bifrost-automation token: updated"]
    assert (stale.key, stale.intent, stale.expiring, stale.user) == (KEY, "api", False, AKADMIN)
    assert stale.saved == [["key", "intent", "expiring", "user"]]


@MODES
def test_no_key_in_the_environment_is_reported(models: types.ModuleType, interactive: bool,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIFROST_API_TOKEN")
    assert run_script(interactive).splitlines() == ["bifrost-automation token: missing-key"]
    assert Token.objects.tokens == {}


@MODES
def test_errors_show_their_class_only_never_the_key(models: types.ModuleType, interactive: bool) -> None:
    class IntegrityError(Exception):
        pass

    models.User.objects.error = IntegrityError(f'duplicate key value (key)=({KEY}) already exists')
    output = run_script(interactive)
    assert output.splitlines() == ["bifrost-automation token: error IntegrityError"]
    assert KEY not in output
