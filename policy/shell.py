"""Which files a remote shell script writes under a directory: the part of the rules that reads shell.

A script writes a file under DIR when one of its simple commands (split at `;` `&&` `||` `|` `&`
newline and parentheses) has, with paths resolved against the literal `cd` and the literal variable
assignments (`target=/etc/bifrost/x`, `export NAME=...`) earlier in the script:

- an output redirection (`>`, `>>`, `>|`, `&>`, `&>>`, `N>`, `>&FILE`) to a path under DIR;
- `tee` with an operand under DIR;
- `mv`, `cp` or `install` (not `install -d`) whose destination (`-t DIR`, `--target-directory=DIR`,
  else the last operand) is under DIR;
- `dd` with `of=` a path under DIR;
- `sed -i` (in place) with a file operand under DIR;
- `sh -c` / `bash -c` whose script does one of the above;
- an interpreter (python, perl, ruby, node, php, lua, awk, tclsh) running a program given inline
  (`python3 -c`, `perl -e`/`-E`, `ruby -e`, `node -e`/`-p`/`--eval`, `php -r`, `lua -e`, the awk program
  operand) or on a heredoc, when the program or an operand names DIR or a path under it, or the working
  directory lies under DIR: the program's own file writes are not read, so it counts as writing (fails
  closed).

Leading `sudo`, `env`, `exec`, `command`, `nohup`, `time` and `NAME=value` words are skipped to find
the command. Heredoc bodies are input, not commands, and are not read. A path under DIR is DIR itself
or DIR/...; a path from a variable whose value is not a literal (`tmp=$(mktemp)`) is not resolved, so a
script that writes secrets must take them on stdin (which the rule checks separately). A script the
tokenizer cannot read (unbalanced quotes) counts as writing when it names DIR at all: it fails closed.
"""

from __future__ import annotations

import posixpath
import re
import shlex

_SEPARATOR_CHARS = frozenset(";&|()\n")
_PUNCTUATION = ";&|()<>\n"
# Words that run the command after them (their options are skipped, with the argument of those listed).
_PREFIX_WORDS = frozenset({"sudo", "env", "exec", "command", "nohup", "time", "builtin"})
_PREFIX_OPTIONS_WITH_ARGUMENT = frozenset({"-u", "-g", "-C", "-D", "-U", "-p", "-r", "-t", "-T", "-h"})
# Shell grammar words that may stand before a command in a simple-command segment.
_KEYWORDS = frozenset({"do", "then", "else", "elif", "if", "while", "until", "{", "}", "!"})
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_HEREDOC = re.compile(r"(?<!<)<<(-?)\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")
_FD_DUP_TARGET = re.compile(r"\d+|-")
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})
# Interpreter (version suffix allowed: python3.12) -> its options that take the program as their argument.
_INTERPRETERS: dict[str, frozenset[str]] = {
    "python": frozenset({"-c"}),
    "perl": frozenset({"-e", "-E"}),
    "ruby": frozenset({"-e"}),
    "node": frozenset({"-e", "-p", "--eval", "--print"}),
    "nodejs": frozenset({"-e", "-p", "--eval", "--print"}),
    "php": frozenset({"-r"}),
    "lua": frozenset({"-e"}),
    "tclsh": frozenset(),
}
_AWKS = frozenset({"awk", "gawk", "mawk", "nawk", "busybox-awk"})
_VERSIONED = re.compile(r"([a-z]+?)[0-9.]*")


def _split_heredocs(script: str) -> tuple[str, list[str]]:
    """The script with the body lines of every heredoc removed (their first line is kept), and the bodies
    in the order of their `<<` operators."""
    kept: list[str] = []
    bodies: list[list[str]] = []
    pending: list[tuple[bool, str, list[str]]] = []
    for line in script.split("\n"):
        if pending:
            strip_tabs, delimiter, body = pending[0]
            if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                pending.pop(0)
            else:
                body.append(line)
            continue
        kept.append(line)
        for dash, _quote, word in _HEREDOC.findall(line):
            bodies.append([])
            pending.append((dash == "-", word, bodies[-1]))
    return "\n".join(kept), ["\n".join(body) for body in bodies]



def _tokens(script: str) -> list[str]:
    """The words and operators of a script whose heredoc bodies are already removed."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=_PUNCTUATION)
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    return list(lexer)


def _is_punctuation(token: str) -> bool:
    return bool(token) and all(char in _PUNCTUATION for char in token)


def _segments(tokens: list[str]) -> list[list[str]]:
    """Simple commands: words and redirection operators between separators."""
    segments: list[list[str]] = [[]]
    for token in tokens:
        if _is_punctuation(token) and set(token) <= _SEPARATOR_CHARS:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append(token)
    return [segment for segment in segments if segment]


_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


class _Shell:
    """What the script has set so far: the working directory and literal variables."""

    def __init__(self, directory: str, cwd: str | None) -> None:
        self.directory = directory
        self.cwd = cwd
        self.variables: dict[str, str] = {}
        self.heredocs: list[str] = []  # the bodies of the heredocs not reached yet, in order

    def expand(self, word: str) -> str:
        """The word with known variables substituted; unknown ones stay as `$NAME`."""
        def substitute(match: re.Match[str]) -> str:
            return self.variables.get(match[1] or match[2], match[0])
        return _VARIABLE.sub(substitute, word)

    def assign(self, word: str) -> None:
        name, _equals, value = word.partition("=")
        value = self.expand(value)
        if "$" in value or "`" in value:
            self.variables.pop(name, None)
        else:
            self.variables[name] = value

    def under(self, path: str) -> str | None:
        """The absolute path when it lies in the directory (or is it), else None."""
        path = self.expand(path)
        if not path or path.startswith(("$", "~", "`")):
            return None
        if not path.startswith("/"):
            if self.cwd is None:
                return None
            path = posixpath.join(self.cwd, path)
        normal = posixpath.normpath(path)
        if normal == self.directory or normal.startswith(self.directory + "/"):
            return normal
        return None

    def change_directory(self, operands: list[str]) -> None:
        target = self.expand(operands[0]) if operands else "~"
        if target.startswith("/"):
            self.cwd = posixpath.normpath(target)
        elif self.cwd is not None and not target.startswith(("$", "~", "-")):
            self.cwd = posixpath.normpath(posixpath.join(self.cwd, target))
        else:
            self.cwd = None


def _destination(operands: list[str], options: list[str]) -> str | None:
    for index, option in enumerate(options):
        if option.startswith("--target-directory="):
            return option.split("=", 1)[1]
        if option == "-t" and index + 1 < len(options):
            return options[index + 1]
    return operands[-1] if len(operands) >= 2 else None


def _split_words(words: list[str]) -> tuple[list[str], list[str]]:
    """(operands, options) of a command's arguments; `-t X` keeps X next to its option."""
    operands: list[str] = []
    options: list[str] = []
    index = 0
    end_of_options = False
    while index < len(words):
        word = words[index]
        if not end_of_options and word == "--":
            end_of_options = True
        elif not end_of_options and word.startswith("-") and word != "-":
            options.append(word)
            if word == "-t" and index + 1 < len(words):
                options.append(words[index + 1])
                index += 1
        else:
            operands.append(word)
        index += 1
    return operands, options


def _command_words(words: list[str]) -> list[str]:
    """The words from the command name on: keywords, NAME=value and prefix words (sudo, env...) skipped."""
    index = 0
    while index < len(words):
        word = words[index]
        if word in _KEYWORDS or _ASSIGNMENT.match(word):
            index += 1
        elif word in _PREFIX_WORDS:
            index += 1
            while index < len(words) and words[index].startswith("-"):
                index += 2 if words[index] in _PREFIX_OPTIONS_WITH_ARGUMENT else 1
        else:
            break
    return words[index:]


def _interpreter(name: str) -> str | None:
    """The interpreter a command name runs (python3.12 -> python), None for other commands."""
    if name in _AWKS:
        return "awk"
    match = _VERSIONED.fullmatch(name)
    base = match[1] if match else name
    return base if base in _INTERPRETERS else None


def _inline_program(interpreter: str, arguments: list[str]) -> str | None:
    """The program an interpreter runs from its arguments, None when it runs a file or stdin."""
    if interpreter == "awk":
        index = 0
        while index < len(arguments) and arguments[index].startswith("-"):
            if arguments[index] in ("-f", "--file"):
                return None
            index += 2 if arguments[index] in ("-F", "-v") else 1
        return arguments[index] if index < len(arguments) else None
    flags = _INTERPRETERS[interpreter]
    for index, word in enumerate(arguments):
        if word in flags and index + 1 < len(arguments):
            return arguments[index + 1]
        if any(word.startswith(flag) and len(word) > len(flag) and not flag.startswith("--") for flag in flags):
            return word[2:]  # -e'print 1'
    return None


_PATH_IN_PROGRAM = re.compile(r"(?<![\w.-])(/[^\s'\"`()\[\]{},;:<>|&*?]*)")


def _program_writes(program: str, shell: _Shell) -> list[str]:
    """Paths under the directory a program of another language may write: every one it names, or the
    directory itself when it names only that or runs in it."""
    named = [hit for path in _PATH_IN_PROGRAM.findall(shell.expand(program))
             if (hit := shell.under(path)) is not None]
    if named:
        return list(dict.fromkeys(named))
    if shell.cwd is not None and shell.under(shell.cwd) is not None:
        return [shell.under(shell.cwd) or shell.directory]
    return []


def _segment_writes(segment: list[str], shell: _Shell) -> list[str]:
    """The paths under the directory that one simple command writes; updates cwd and variables."""
    written: list[str] = []
    words: list[str] = []
    heredoc: str | None = None
    index = 0
    words_end = -1  # the index just after the last word taken
    while index < len(segment):
        token = segment[index]
        if _is_punctuation(token) and ">" in token:
            target = segment[index + 1] if index + 1 < len(segment) else ""
            if words and words[-1].isdigit() and words_end == index:
                words.pop()  # the descriptor of `2>file`, not an argument
            index += 2
            if token == ">&" and _FD_DUP_TARGET.fullmatch(target):
                continue  # 2>&1: a descriptor, not a file
            if (hit := shell.under(target)) is not None:
                written.append(hit)
            continue
        if _is_punctuation(token):  # input redirection: skip its source word
            if token == "<<" and shell.heredocs:
                heredoc = shell.heredocs.pop(0)
            index += 2
            continue
        words.append(token)
        index += 1
        words_end = index
    command = _command_words(words)
    if not command:
        for word in words:
            if _ASSIGNMENT.match(word):
                shell.assign(word)
        return written
    name, arguments = posixpath.basename(command[0]), command[1:]
    operands, options = _split_words(arguments)
    if name in ("export", "readonly", "local", "declare", "typeset"):
        for operand in operands:
            if _ASSIGNMENT.match(operand):
                shell.assign(operand)
    elif name == "cd":
        shell.change_directory(operands)
    elif name == "tee":
        written.extend(hit for operand in operands if (hit := shell.under(operand)) is not None)
    elif name in ("mv", "cp", "install"):
        if name == "install" and any(o in ("-d", "--directory") or
                                     (o.startswith("-") and not o.startswith("--") and "d" in o)
                                     for o in options):
            return written
        destination = _destination(operands, options)
        if destination is not None and (hit := shell.under(destination)) is not None:
            written.append(hit)
    elif name == "dd":
        written.extend(hit for operand in operands
                       if operand.startswith("of=") and (hit := shell.under(operand[3:])) is not None)
    elif name in _SHELLS and "-c" in options and operands:
        written.extend(files_written(shell.expand(operands[0]), shell.directory, shell.cwd))
    elif name == "sed" and any(o == "--in-place" or o.startswith("--in-place=") or
                               (o.startswith("-i") and not o.startswith("--")) for o in options):
        files = operands[1:] if not any(o in ("-e", "-f") or o.startswith("--expression") for o in options) \
            else operands
        written.extend(hit for operand in files if (hit := shell.under(operand)) is not None)
    elif (interpreter := _interpreter(name)) is not None:
        program = _inline_program(interpreter, arguments)
        if program is None and heredoc is not None:
            program = heredoc
        if program is not None:
            # The program and its operands (`perl -pi -e ... FILE` edits FILE in place).
            written.extend(dict.fromkeys(
                [*_program_writes(program, shell),
                 *(hit for word in operands if word != program and (hit := shell.under(word)) is not None)]))
    return written


def files_written(script: str, directory: str, cwd: str | None = None) -> list[str]:
    """The paths under `directory` that `script` writes (see the module docstring for the exact rule)."""
    directory = posixpath.normpath(directory)
    kept, bodies = _split_heredocs(script)
    try:
        tokens = _tokens(kept)
    except ValueError:
        return [directory] if directory in script else []
    shell = _Shell(directory, cwd)
    shell.heredocs = bodies
    written: list[str] = []
    for segment in _segments(tokens):
        written.extend(_segment_writes(segment, shell))
    return written
