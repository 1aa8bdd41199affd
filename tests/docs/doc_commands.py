"""Reads the commands in the docs' fenced shell blocks and checks that each would run as written.

Checked: `make <target>` (the target exists: `make -n`), `python -m <module> ...` with or without
`uv run` (the module exists; the argument line parses with its real argparse parser), `uv run ... pytest
<path>` (the paths exist), `pulumi config set` (the key exists; `--secret` exactly for secrets), `pulumi
stack output <name>` (the program exports it), `--policy-pack <dir>` and `bash`/`python3` scripts (the file
exists; `/etc/bifrost/...` is `cloud/bifrost/...` uploaded as it is). Commands of other tools (kubectl,
docker, curl, apt-get) are left alone.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import re
import shlex
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from components.config.schema import ALL_SETTINGS
from components.secrets_registry import BY_KEY, PROJECT, SECRETS
from verify import PROJECT_ROOT

FENCE = re.compile(r"^[ \t]*(?:\d+\.[ \t]+|[-*][ \t]+)?```(sh|bash|shell|console)\n(.*?)^[ \t]*```",
                   re.MULTILINE | re.DOTALL)
OPERATORS = {"&&", "||", ";", "|", "(", ")", "&"}
REDIRECTS = {"<", ">", ">>", "2>", "&>"}
SETTING_KEYS = frozenset(setting.key for setting in ALL_SETTINGS)
CONFIG_KEYS = SETTING_KEYS | frozenset(BY_KEY)
VPS_DIR = "/etc/bifrost/"


@dataclass(frozen=True)
class Command:
    source: str  # "file:line"
    words: tuple[str, ...]
    placeholders: tuple[str, ...] = ()  # unquoted `<...>`: the shell reads it as a redirection

    def __str__(self) -> str:
        return f"{self.source}: {' '.join(self.words)}"


def documents(root: Path = PROJECT_ROOT) -> dict[str, str]:
    """README.md and every page under docs/, by path relative to the root."""
    paths = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    return {str(path.relative_to(root)): path.read_text() for path in paths}


def commands(name: str, text: str) -> Iterator[Command]:
    """Every simple command of the fenced shell blocks, split at `&&`, `|`, `;` and parentheses."""
    for block in FENCE.finditer(text):
        first_line = text[: block.start(2)].count("\n") + 1
        for offset, line in enumerate(block.group(2).replace("\\\n", " ").splitlines()):
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            lexer.commenters = "#"
            tokens = list(lexer)
            words: list[str] = []
            placeholders: list[str] = []
            index = 0
            while index < len(tokens):
                token = tokens[index]
                if token in REDIRECTS:
                    # The redirection's file is the operator's, not the project's; `<name>` is a placeholder.
                    if token == "<" and tokens[index + 2: index + 3] == [">"]:
                        placeholders.append(f"<{tokens[index + 1]}>")
                        index += 1
                    index += 2
                    continue
                if token in OPERATORS:
                    if words:
                        yield Command(f"{name}:{first_line + offset}", tuple(words), tuple(placeholders))
                    words, placeholders = [], []
                else:
                    words.append(token)
                index += 1
            if words or placeholders:
                yield Command(f"{name}:{first_line + offset}", tuple(words), tuple(placeholders))


class _Parsed(Exception):
    """Raised in place of running a module's main once its arguments parsed."""


def parse_module_arguments(module: str, argv: list[str]) -> str | None:
    """None when `python -m <module> <argv>` parses with the module's own parser, else the error."""
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        spec = None
    if spec is None:
        return f"no module {module}"
    entry = f"{module}.__main__" if spec.submodule_search_locations is not None else module
    if module.split(".", maxsplit=1)[0] not in {"verify", "bench", "policy"}:
        return None
    loaded = importlib.import_module(entry)
    parser_factory: Callable[[], argparse.ArgumentParser] | None = getattr(loaded, "parser", None)
    original = argparse.ArgumentParser.parse_args

    def parse_only(self: argparse.ArgumentParser, args: Any = None, namespace: Any = None) -> Any:
        original(self, args, namespace)
        raise _Parsed

    try:
        if parser_factory is not None:
            parser_factory().parse_args(argv)
            return None
        main = getattr(loaded, "main", None)
        if main is None or not inspect.signature(main).parameters:
            return None if not argv else f"{module} takes no arguments"  # never run it: it would do its work
        with mock.patch.object(argparse.ArgumentParser, "parse_args", parse_only):
            main(argv)
        return None if not argv else f"{module} takes no arguments"
    except _Parsed:
        return None
    except SystemExit as exit_:
        return None if exit_.code in (0, None) else f"{module} refuses {' '.join(argv)!r}"


def make_targets(root: Path = PROJECT_ROOT) -> Callable[[str], bool]:
    def exists(target: str) -> bool:
        result = subprocess.run(["make", "-n", "-C", str(root), target], capture_output=True, text=True,
                                check=False, timeout=30)
        return result.returncode == 0

    return exists


def exported_outputs(root: Path = PROJECT_ROOT) -> frozenset[str]:
    names = set()
    for path in [root / "__main__.py", *(root / "components").rglob("*.py")]:
        names.update(re.findall(r'pulumi\.export\("([A-Za-z]+)"', path.read_text()))
    # Outputs that hand the operator a generated value are declared on their secret's record.
    names.update(spec.operator_output for spec in SECRETS if spec.operator_output)
    return frozenset(names)


def _project_file(word: str, root: Path) -> Path | None:
    if word.startswith(VPS_DIR):
        return root / "cloud" / "bifrost" / word.removeprefix(VPS_DIR)
    if word.startswith(("/", "~", "$", "<")):
        return None
    return root / word


def _check_python(words: list[str], root: Path) -> list[str]:
    if len(words) >= 3 and words[1] == "-m":
        module, argv = words[2], words[3:]
        if module == "pytest":
            return _check_pytest(argv, root)
        error = parse_module_arguments(module, argv)
        return [error] if error else []
    if len(words) >= 2 and words[1].endswith(".py"):
        path = _project_file(words[1], root)
        return [f"no file {words[1]}"] if path is not None and not path.exists() else []
    return []


PYTEST_OPTIONS_WITH_VALUE = ("-k", "-m", "-p", "-n", "--dist", "--durations")


def _check_pytest(argv: list[str], root: Path) -> list[str]:
    paths = [word.split("::", 1)[0] for index, word in enumerate(argv)
             if not word.startswith("-") and (index == 0 or argv[index - 1] not in PYTEST_OPTIONS_WITH_VALUE)]
    return [f"no test path {path}" for path in paths if not (root / path).exists()]


def _check_uv(words: list[str], root: Path) -> list[str]:
    if len(words) < 2 or words[1] != "run":
        return []
    options = []
    rest = list(words[2:])
    while rest and rest[0].startswith("-"):
        options.append(rest.pop(0))
    if "--locked" not in options:
        return ["`uv run` without --locked may change uv.lock: write `uv run --locked ...`"]
    if rest and rest[0] == "pytest":
        return _check_pytest(rest[1:], root)
    if rest and rest[0] in ("python", "python3"):
        return _check_python(rest, root)
    return []


def _check_pulumi(words: list[str], root: Path) -> list[str]:
    problems = []
    if "--policy-pack" in words:
        index = words.index("--policy-pack")
        pack = words[index + 1] if index + 1 < len(words) else ""
        if not (root / pack / "PulumiPolicy.yaml").exists():
            problems.append(f"no policy pack {pack!r}")
    if list(words[1:3]) == ["config", "set"]:
        problems += _check_config_set(list(words[3:]))
    if list(words[1:3]) == ["stack", "output"]:
        named = [word for word in words[3:] if not word.startswith("-")]
        outputs = exported_outputs(root)
        problems += [f"no stack output {name}" for name in named if name not in outputs]
    return problems


def _check_config_set(argv: list[str]) -> list[str]:
    secret = "--secret" in argv
    positional = [word for word in argv if not word.startswith("-")]
    if not positional:
        return ["pulumi config set names no key"]
    key = positional[0]
    if not key.startswith(f"{PROJECT}:"):
        return [f"{key}: a key of this program is written {PROJECT}:<key>"]
    short = key.split(":", 1)[1]
    base = short.split("[", 1)[0].split(".", 1)[0]
    if base not in CONFIG_KEYS:
        return [f"{key} is neither a setting nor a secret"]
    if base in BY_KEY and not secret:
        return [f"{key} is a secret: set it with --secret"]
    if base not in BY_KEY and secret:
        return [f"{key} is not a secret: set it without --secret"]
    return []


def check(command: Command, make_target: Callable[[str], bool], root: Path = PROJECT_ROOT) -> list[str]:
    """The problems of one command (empty when it would run as written)."""
    if command.placeholders:
        return [f"unquoted placeholder {item}: the shell reads it as a redirection; quote it: '{item}'"
                for item in command.placeholders]
    words = [word for word in command.words if not re.fullmatch(r"[A-Z_]+=.*", word)]  # leading VAR=value
    if not words:
        return []
    if words[0] == "sudo":
        words = words[1:]
    program = words[0]
    if program == "make":
        targets = [word for word in words[1:] if "=" not in word and not word.startswith("-")]
        return [f"no make target {target}" for target in targets if not make_target(target)]
    if program in ("python", "python3"):
        return _check_python(words, root)
    if program in ("uv", ".tools/bin/uv"):
        return _check_uv(words, root)
    if program == "pytest":
        return ["run the tests as `uv run --locked pytest ...`"]
    if program == "pulumi":
        return _check_pulumi(words, root)
    if program == "bash" and len(words) > 1:
        path = _project_file(words[1], root)
        if path is None:
            return []
        if not path.exists():
            return [f"no script {words[1]}"]
        options = {word.split("=", 1)[0] for word in words[2:] if word.startswith("--")}
        script = path.read_text()
        return [f"{words[1]} has no option {option}" for option in sorted(options) if option not in script]
    if program == "cd" and len(words) > 1:
        path = _project_file(words[1], root)
        return [f"no folder {words[1]}"] if path is not None and not path.is_dir() else []
    return []


INLINE_CONFIG_SET = re.compile(r"`(pulumi config set [^`]+)`")


def inline_config_sets(texts: dict[str, str]) -> list[str]:
    """`pulumi config set` in inline code of the prose: the key exists, `--secret` exactly for secrets (a
    placeholder value such as `<n+1>` is allowed there)."""
    found = []
    for name, text in texts.items():
        for span in INLINE_CONFIG_SET.findall(text.replace("\n", " ")):
            for segment in re.split(r"&&|;", span):
                words = segment.split()
                named = [word for word in words[3:] if not word.startswith("-")]
                if not named or "<" in named[0]:
                    continue  # the command itself, or a key placeholder (`homelab-secrets:<key>`)
                if words[:3] == ["pulumi", "config", "set"]:
                    found += [f"{name}: `{span}`: {problem}" for problem in _check_config_set(words[3:])]
    return found


def problems(texts: dict[str, str], root: Path = PROJECT_ROOT) -> list[str]:
    make_target = make_targets(root)
    found = []
    for name, text in texts.items():
        for command in commands(name, text):
            found += [f"{command}: {problem}" for problem in check(command, make_target, root)]
    return found + inline_config_sets(texts)


LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL),
                          re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def broken_links(texts: dict[str, str], root: Path = PROJECT_ROOT) -> list[str]:
    """Relative links (and their #anchors) of the docs that point nowhere."""
    broken = []
    for name, text in texts.items():
        base = (root / name).parent
        for link in LINK.findall(text):
            if "://" in link or link.startswith("mailto:"):
                continue
            target, _, anchor = link.partition("#")
            path = base / target if target else root / name
            if not path.exists():
                broken.append(f"{name}: {link}: no file {target}")
            elif anchor and path.suffix == ".md" and anchor not in anchors(path.read_text()):
                broken.append(f"{name}: {link}: no heading #{anchor} in {target or name}")
    return broken


# Paths of this project; `docs/` only as its own pages (upstream documentation paths are cited as docs/content/...).
PROJECT_PATH = re.compile(r"`((?:components|verify|tests|cloud|tools|bench|policy|fakes|\.ci)/[\w./\-]*"
                          r"|docs/[\w.\-]+\.md)`")


def missing_paths(texts: dict[str, str], root: Path = PROJECT_ROOT) -> list[str]:
    """Files and folders of this project the docs name in inline code (`components/bifrost/render.py`)
    that do not exist. Paths of other repositories and of the VPS start with other folders."""
    return [f"{name}: {path}" for name, text in texts.items() for path in sorted(set(PROJECT_PATH.findall(text)))
            if not (root / path).exists()]
