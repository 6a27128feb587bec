#!/usr/bin/env python3
"""Fails on lab notes in the pages and the code comments, and lists each offending line.

  python3 tests/docs/lab_notes_test.py [REPO]

A page or a comment states what is true anywhere; a measurement names its machine and comes
from the results, not from a log of one day. So none of these may appear: a time of day
(hours and minutes, with or without the time zone); a commit hash; the machine's load
figures; a calendar date; the phrases that mark a run log (the current session, the hour
or the morning of a run); and a reference to a file or tracker outside the repository (the
team's design note, a numbered ticket). RULES below has the exact patterns; a few of their
words are written with a character class ([e]) so that this file does not read as the
very thing it forbids.
Searched: every README.md outside build folders, docs/**/*.md in full, and the comments of the code in
common/, stages/, tests/ and scripts/ (// and /* */ in C++ and CUDA, # in Python, shell and
CMake, and Python docstrings). This file is skipped: its patterns would match themselves.
"""
import pathlib
import re
import sys

import page_check

HEX = r"(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}"  # a digit and a letter: not a word
RULES = [
    ("time of day", re.compile(r"(?<![\w:T-])(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?\s*UTC\b")),
    ("time of day", re.compile(r"\b(?:at|from|until|by|before|after|around|since|to)\s+"
                               r"(?:[01]\d|2[0-3]):[0-5]\d\b(?![:\d])")),
    ("commit hash", re.compile(rf"\b(?:commit|commits|at|in|since|from|before|after|of|to)\s+`?{HEX}`?"
                               r"(?![\w])")),
    ("commit hash", re.compile(rf"`{HEX}`")),
    ("machine load", re.compile(r"\bload\s+(?:av[e]rage|avg)\b|\(load\s+\d|\bload\s+\d+(?:\.\d+)?"
                                r"(?:\s*-\s*\d+(?:\.\d+)?)?\b(?!\s*(?:bytes|floats|instructions|"
                                r"B\b|KB|MB|GB|elements|values|per))", re.IGNORECASE)),
    ("machine load", re.compile(r"\bload\s+(?:below|under|above|of|around)\s+\d", re.IGNORECASE)),
    ("date", re.compile(r"\b20\d\d-[01]\d-[0-3]\d\b")),
    ("run log", re.compile(r"\bthis (?:s[e]ssion|h[o]ur)\b", re.IGNORECASE)),
    ("run log", re.compile(r"\b(?:that|the same|an?) (?:hour|morning|afternoon|evening|night)\b|"
                           r"\bthe (?:morning|afternoon|evening)'s\b|\bhalf an hour (?:earlier|later)\b|"
                           r"\bsame minutes\b", re.IGNORECASE)),
    ("outside reference", re.compile(r"\bDESIGN\.md\b")),
    ("outside reference", re.compile(r"\b(?:the|this|that|an?)\s+(?:[\w-]+\s+)?issue\b(?!s)|"
                                     r"\bissue\s*#?\d+|\bissue tracker\b", re.IGNORECASE)),
]
CODE_ROOTS = ("common", "stages", "tests", "scripts")
C_LIKE = {".cpp", ".h", ".cu", ".cuh"}
HASH_COMMENTS = {".py", ".sh", ".cmake"}


def c_comments(text):
    """(line number, comment text) of every // and /* */ comment, strings skipped."""
    out, number, i, n = [], 1, 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            number += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append((number, text[i:end]))
            i = end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i)
            end = n if end < 0 else end + 2
            for k, line in enumerate(text[i:end].split("\n")):
                out.append((number + k, line))
            number += text.count("\n", i, end)
            i = end
            continue
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            i = j
        i += 1
    return out


def hash_comments(text, python):
    """(line number, comment text) of # comments and, in Python, of triple-quoted strings."""
    out, in_doc = [], False
    for number, line in enumerate(text.splitlines(), 1):
        quotes = line.count('"""') if python else 0
        if in_doc or quotes:
            out.append((number, line))
            if quotes % 2:
                in_doc = not in_doc
            continue
        stripped = re.sub(r"\"[^\"]*\"|'[^']*'", "", line)  # a # inside a string is no comment
        if "#" in stripped and not line.startswith("#!"):
            out.append((number, stripped[stripped.index("#"):]))
    return out


def searched_text(repo):
    """(path, [(line number, text)]) of every page and every source file's comments."""
    readmes = [p for p in repo.rglob("README.md")
               if not any(part.startswith(("build", ".")) for part in p.relative_to(repo).parts)]
    pages = [*sorted(readmes), *sorted((repo / "docs").rglob("*.md"))]
    for page in pages:
        if page.is_file():
            yield page, list(enumerate(page.read_text(encoding="utf-8").splitlines(), 1))
    this = pathlib.Path(__file__).resolve()
    for root in CODE_ROOTS:
        for path in sorted((repo / root).rglob("*")):
            if not path.is_file() or path.resolve() == this:
                continue
            if path.suffix in C_LIKE:
                yield path, c_comments(path.read_text(encoding="utf-8", errors="replace"))
            elif path.suffix in HASH_COMMENTS or path.name == "CMakeLists.txt":
                text = path.read_text(encoding="utf-8", errors="replace")
                yield path, hash_comments(text, python=path.suffix == ".py")


def offences(repo):
    """One line per offence: path:line: [kind] the text."""
    found = []
    for path, lines in searched_text(repo):
        for number, text in lines:
            for kind, pattern in RULES:
                if pattern.search(text):
                    found.append(f"{path.relative_to(repo)}:{number}: [{kind}] {text.strip()}")
                    break
    return found


def summary(repo, found):
    files = sorted({line.split(":", 1)[0] for line in found})
    return f"lab notes: {len(found)} line(s) in {len(files)} file(s)" + (": " + ", ".join(files) if files else "")


def main():
    return page_check.run(offences, summary)


if __name__ == "__main__":
    sys.exit(main())
