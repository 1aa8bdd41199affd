"""Compose-safe env encoding: any string survives Compose's dotenv reader unchanged."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.bifrost import dotenv
from tests.components.bifrost.compose_dotenv_reader import DotenvError, parse
from tests.conftest import refs_path

# Expected values from Compose's own parser tests for its fixtures.
FIXTURE_EXPECTATIONS: dict[str, dict[str, str]] = {
    "plain.env": {"OPTION_A": "1", "OPTION_B": "2", "OPTION_C": "3", "OPTION_D": "4", "OPTION_E": "5"},
    "quoted.env": {
        "OPTION_A": "1", "OPTION_B": "2", "OPTION_C": "", "OPTION_D": "\\n", "OPTION_E": "1", "OPTION_F": "2",
        "OPTION_G": "", "OPTION_H": "\n", "OPTION_I": "echo 'asd'",
        "OPTION_J": "first line\nsecond line\nthird line\nand so on", "OPTION_K": "Let's go!",
        "OPTION_Z": "last value",
    },
    "exported.env": {"OPTION_A": "2", "OPTION_B": "\\n"},
    "equals.env": {"OPTION_A": "postgres://localhost:5432/database?sslmode=disable"},
    "unquoted.env": {
        "OPTION_A": "some quoted phrase", "OPTION_B": "first one with an unquoted phrase",
        "OPTION_C": "then another one with an unquoted phrase",
        "OPTION_D": "then another one with an unquoted phrase special \u00e8 char",
        "OPTION_E": "then another one quoted phrase",
    },
    "substitutions.env": {"OPTION_A": "1", "OPTION_B": "1", "OPTION_C": "1", "OPTION_D": "1_1", "OPTION_E": ""},
    "special.env": {"VAR.WITH.DOTS": "dots", "VAR_WITH_UNDERSCORES": "underscores", "VAR-WITH-DASHES": "dashes"},
}


@pytest.mark.parametrize("fixture", sorted(FIXTURE_EXPECTATIONS))
def test_reader_agrees_with_compose_on_its_fixtures(fixture: str) -> None:
    text = refs_path("compose", "dotenv-fixtures", fixture).read_text(encoding="utf-8")
    parsed = parse(text)
    for key, expected in FIXTURE_EXPECTATIONS[fixture].items():
        assert parsed[key] == expected, key


def test_reader_rejects_compose_invalid_fixture() -> None:
    text = refs_path("compose", "dotenv-fixtures", "invalid1.env").read_text(encoding="utf-8")
    with pytest.raises(DotenvError):
        parse(text)


def test_unquoted_and_plain_double_quoted_values_interpolate() -> None:
    # The reason every value is escaped: Compose would otherwise expand $VAR inside the secret.
    assert parse('A=x\nB="p$A"\nC=p$A\n') == {"A": "x", "B": "px", "C": "px"}


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=200))
def test_any_string_round_trips(value: str) -> None:
    assert parse(dotenv.render([("KEY", value)]))["KEY"] == value


@given(st.lists(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40), min_size=1,
                max_size=5))
def test_several_values_keep_their_boundaries(values: list[str]) -> None:
    pairs = [(f"K{i}", v) for i, v in enumerate(values)]
    assert parse(dotenv.render(pairs)) == dict(pairs)


@pytest.mark.parametrize("value", ['ends with quote"', "ends with backslash\\", "$HOME", "${HOME:-x}", "a'b",
                                   "# not a comment", "two\nlines\r\n", "\\$", "$$", " spaced "])
def test_edge_values_round_trip(value: str) -> None:
    assert parse(dotenv.render([("KEY", value)]))["KEY"] == value


def test_rejects_invalid_key() -> None:
    with pytest.raises(ValueError, match="not an environment variable name"):
        dotenv.render([("BAD KEY", "x")])
