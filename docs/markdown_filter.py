#!/usr/bin/env python3
"""Doxygen input filter for Markdown: makes the READMEs' links to source files work on the site.

Usage (Doxyfile): FILTER_PATTERNS = "*.md=python3 docs/markdown_filter.py"
Doxygen runs it on each .md file it reads and parses what it prints; the file is unchanged.

The READMEs are written to be read on GitHub too, where [layers.cpp](layers.cpp) opens the
file. On the site there is no such page, so each relative link that names an existing file
of the repository becomes:
  - a header (.h, .cuh) under common/ or stages/: a link to its Doxygen file page
    ([text](@ref /absolute/path.h));
  - another Markdown file: left alone (Doxygen links Markdown pages itself);
  - anything else (.cpp, .cu, scripts, folders): its text, without the link.
Links to the web, to anchors, and to files that do not exist are left alone (a missing file
is a broken link, which the docs check reports). Fenced code blocks and inline code are not
touched, and no line is added or removed, so Doxygen's line numbers stay right.
"""
import pathlib
import re
import sys

LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
HEADERS = (".h", ".cuh")
DOCUMENTED_ROOTS = ("common", "stages")


def rewrite(match, md_dir, repo):
    target = match.group("target")
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith(("#", "@", "\\", "/")):
        return match.group(0)
    path_part = target.split("#", 1)[0]
    resolved = (md_dir / path_part).resolve()
    if not resolved.exists() or (repo not in resolved.parents and resolved != repo):
        return match.group(0)
    if resolved.suffix == ".md":
        return match.group(0)
    relative = resolved.relative_to(repo)
    if (resolved.is_file() and resolved.suffix in HEADERS
            and relative.parts and relative.parts[0] in DOCUMENTED_ROOTS):
        return f"[{match.group('text')}](@ref {resolved})"
    return match.group("text") or f"`{relative}`"


def filter_line(line, md_dir, repo):
    # A link that starts inside an inline code span (`[a](b)`) is shown as code: keep it.
    spans = [m.span() for m in re.finditer(r"`+[^`]*`+", line)]

    def replace(match):
        if any(start < match.start() < end for start, end in spans):
            return match.group(0)
        return rewrite(match, md_dir, repo)

    return LINK.sub(replace, line)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: markdown_filter.py FILE.md")
    path = pathlib.Path(sys.argv[1]).resolve()
    repo = pathlib.Path(__file__).resolve().parent.parent
    fence = None
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        stripped = line.lstrip()
        marker = re.match(r"(`{3,}|~{3,})", stripped)
        if fence is None and marker:
            fence = marker.group(1)[0] * 3
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None:
            line = filter_line(line, path.parent, repo)
        sys.stdout.write(line)


if __name__ == "__main__":
    main()
