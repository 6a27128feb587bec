#!/usr/bin/env python3
"""Doxygen input filter for Markdown: makes the pages' links to source files work on the site.

Usage (Doxyfile): FILTER_PATTERNS = "*.md=python3 docs/markdown_filter.py"
Doxygen runs it on each .md file it reads and parses what it prints; the file is unchanged.

The READMEs and lesson pages are written to be read on GitHub too, where
[layers.cpp](layers.cpp) opens the file. On the site there is no such page, so each relative
link that names an existing file of the repository becomes:
  - a source file (.cpp, .cu, .cuh, .h) under common/ or stages/ with a #symbol fragment,
    e.g. [the kernel](../../stages/05_cuda/naive_kernels.cu#conv2d_forward_kernel): a link
    to the line of the browsable source where that symbol is defined (GitHub opens the
    file). A symbol that is not defined there is an error, so the link cannot rot;
  - a header (.h, .cuh) under common/ or stages/: a link to its Doxygen file page
    ([text](@ref /absolute/path.h));
  - an implementation file (.cpp, .cu) under common/ or stages/: a link to its browsable
    source page;
  - another Markdown file: left alone (Doxygen links Markdown pages itself);
  - a picture under docs/images, embedded (![alt](path)) or linked: its file name, which
    Doxygen finds in IMAGE_PATH and copies next to the pages when a page embeds it (the docs
    check makes sure that each one is embedded somewhere);
  - anything else (scripts, folders): its text, without the link.
Links to the web, to anchors, and to files that do not exist are left alone (a missing file
is a broken link, which the docs check reports). Link text that is one code span,
[`name`](target), loses its backticks: Doxygen 1.9 would show them, and escapes <code>.
Fenced code blocks and inline code are not touched, and no line is added or removed, so
Doxygen's line numbers stay right.
"""
import functools
import pathlib
import re
import sys

LINK = re.compile(r"(?P<image>!?)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
HEADERS = (".h", ".cuh")
SOURCES = (".h", ".cuh", ".cpp", ".cu")
DOCUMENTED_ROOTS = ("common", "stages")
REPO = pathlib.Path(__file__).resolve().parent.parent


class FilterError(Exception):
    pass


@functools.lru_cache(maxsize=None)
def site_sources(repo=REPO):
    """The source files Doxygen reads (docs/Doxyfile: INPUT, FILE_PATTERNS, EXCLUDE_PATTERNS)."""
    files = []
    for root in DOCUMENTED_ROOTS:
        for path in sorted((repo / root).rglob("*")):
            if path.suffix not in SOURCES or not path.is_file():
                continue
            relative = path.relative_to(repo)
            if relative.parts[0] == "stages" and path.suffix == ".h" and path.name.startswith("bench"):
                continue  # EXCLUDE_PATTERNS = */stages/*/bench*.h
            files.append(relative)
    return tuple(files)


def escape(name):
    """Doxygen's file-name escaping (util.cpp, escapeCharsInString) for the characters of paths."""
    table = {"_": "__", "/": "_2", ".": "_8", ":": "_1", "-": "-"}
    return "".join(table.get(c, c) for c in name)


def source_page(relative, repo=REPO):
    """The HTML page of Doxygen's source listing of repo/relative.

    A file name that is unique among the inputs is the page's name; files that share a name
    are told apart by their folders below the folders they all share (02_im2col/layers.cpp).
    """
    same = [f for f in site_sources(repo) if f.name == relative.name]
    shared = 0
    if len(same) > 1:
        folders = [f.parent.parts for f in same]
        while all(len(p) > shared and p[shared] == folders[0][shared] for p in folders):
            shared += 1
    disk_name = "/".join(relative.parent.parts[shared:] + (relative.name,)) if len(same) > 1 \
        else relative.name
    return escape(disk_name) + "_source.html"


def definition_line(path, symbol):
    """The 1-based line where symbol is defined in path: a line naming it as a function, type or
    constant being defined (not a call or a declaration ending in ';'). Raises FilterError."""
    name = re.escape(symbol)
    patterns = [
        # a function definition: a return type, the name, its parameters, no ';' (a body follows)
        re.compile(rf"^\s*(?!return\b)(?:[\w:<>,]+[\s*&]+)+(?:\w+::)*{name}\s*\([^;]*$"),
        re.compile(rf"^\s*(?:template\s*<.*>\s*)?(?:struct|class|enum(?:\s+class)?|union)\s+{name}\b[^;]*$"),
        re.compile(rf"^\s*(?:inline\s+)?(?:static\s+)?(?:constexpr|const)\b.*\b{name}\b\s*(?:=|\{{|\[)"),
        re.compile(rf"^\s*using\s+{name}\s*="),
        re.compile(rf"^#define\s+{name}\b"),
    ]
    # a CUDA kernel: __global__ and the launch bounds may come first, the name on the next line
    kernel = re.compile(rf"^\s*(?:__global__\b.*[\s)])?{name}\s*\([^;]*$")
    previous = ""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith(("//", "*", "/*")):
            continue
        if any(p.search(line) for p in patterns):
            return number
        if kernel.search(line) and "__global__" in previous + line:
            return number
        previous = line
    raise FilterError(f"{symbol!r} is not defined in {path.relative_to(REPO)}")


def resolve(target, md_dir, repo=REPO):
    """(resolved path, fragment) of a relative link target, or None when it is not a file of
    the repository."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith(("#", "@", "\\", "/")):
        return None
    path_part, _, fragment = target.partition("#")
    resolved = (md_dir / path_part).resolve()
    if not resolved.exists() or (repo not in resolved.parents and resolved != repo):
        return None
    return resolved, fragment


def code_target(resolved, fragment, repo=REPO):
    """Where a link to a source file goes on the site, or None when it is not a site source."""
    relative = resolved.relative_to(repo)
    if not (resolved.is_file() and resolved.suffix in SOURCES and relative.parts
            and relative.parts[0] in DOCUMENTED_ROOTS) or relative not in site_sources(repo):
        return None
    if fragment:
        return f"{source_page(relative, repo)}#l{definition_line(resolved, fragment):05d}"
    if resolved.suffix in HEADERS:
        return f"@ref {resolved}"
    return source_page(relative, repo)


def rewrite(match, md_dir, repo=REPO):
    found = resolve(match.group("target"), md_dir, repo)
    if match.group("image"):
        if found and (repo / "docs" / "images") in found[0].parents:
            return f"![{match.group('text')}]({found[0].name})"
        return match.group(0)
    text = match.group("text")
    code_span = re.fullmatch(r"`([^`]+)`", text)
    if code_span:
        text = code_span.group(1)
    if found is None or found[0].suffix == ".md":
        return f"[{text}]({match.group('target')})"
    resolved, fragment = found
    if (repo / "docs" / "images") in resolved.parents and resolved.is_file():
        return f"[{text}]({resolved.name})"
    target = code_target(resolved, fragment, repo)
    if target is not None:
        return f"[{text}]({target})"
    return match.group("text") or f"`{resolved.relative_to(repo)}`"


def filter_line(line, md_dir, repo=REPO):
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
    fence = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(keepends=True), 1):
        stripped = line.lstrip()
        marker = re.match(r"(`{3,}|~{3,})", stripped)
        if fence is None and marker:
            fence = marker.group(1)[0] * 3
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None:
            try:
                line = filter_line(line, path.parent)
            except FilterError as e:
                # Doxygen's warning format: scripts/docs.sh fails on any line on stderr.
                print(f"{path}:{number}: error: {e}", file=sys.stderr)
        sys.stdout.write(line)


if __name__ == "__main__":
    main()
