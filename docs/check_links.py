#!/usr/bin/env python3
"""Checks a generated Doxygen site, and the Markdown it is made from, for broken links.

Usage: python3 docs/check_links.py <build>/docs/html      (scripts/docs.sh runs it)

The site: for every page, each relative href/src/data (links, images, embedded SVG) must
name a file of the site, and each #anchor an id or name in that file; a script, stylesheet, image or frame loaded from another host is an
error (the site must render offline). Links *to* other sites (<a href="https://...">) are
allowed: following one is the reader's choice. The tree-view data files (*.js) name pages
too; there only the file is checked (Doxygen lists enum values in the tree without writing
their anchors). Links in Doxygen's "summary" bar (#nested-classes, #pub-methods, ...) are not
checked either: it links sections that private members leave empty. Every picture under
docs/images must be embedded in some page.

The Markdown: in README.md, stages/*/README.md and docs/**/*.md, each relative link or
image, as written (what GitHub follows), must name a file or folder of the repository, and
a #symbol after a source file must be a symbol defined in it (docs/markdown_filter.py turns
it into a link to that line). Code blocks and code spans are not links.

Exit status 1 and one line per problem when any is found.
"""
import html.parser
import pathlib
import re
import sys
import urllib.parse

import markdown_filter

REPO = pathlib.Path(__file__).resolve().parent.parent
MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\((?P<target>[^)\s]+)\)")


class Refs(html.parser.HTMLParser):
    """Collects (tag, attribute, value) of every link-like attribute, and the page's anchors."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs = []
        self.anchors = set()
        self.div_depth = 0  # <div> nesting
        self.summary_depth = None  # div_depth of Doxygen's summary bar while inside it

    def handle_starttag(self, tag, attrs):
        if tag == "div":
            self.div_depth += 1
            if ("class", "summary") in attrs and self.summary_depth is None:
                self.summary_depth = self.div_depth
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name"):
                self.anchors.add(value)
            elif name in ("href", "src", "data") and self.summary_depth is None:
                self.refs.append((tag, name, value))

    def handle_endtag(self, tag):
        if tag == "div":
            if self.summary_depth == self.div_depth:
                self.summary_depth = None
            self.div_depth -= 1


def parse(path, cache):
    if path not in cache:
        parser = Refs()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = parser
    return cache[path]


def check_target(root, page, value, cache, anchors=True):
    """The problem with a relative link from page, or None when it resolves."""
    parts = urllib.parse.urlsplit(value)
    target = page if not parts.path else (page.parent / urllib.parse.unquote(parts.path))
    target = target.resolve()
    if root not in target.parents and target != root:
        return f"{value}: points outside the site"
    if not target.is_file():
        return f"{value}: no such file"
    if anchors and parts.fragment and target.suffix == ".html":
        if parts.fragment not in parse(target, cache).anchors:
            return f"{value}: no anchor #{parts.fragment} in {target.name}"
    return None


def markdown_pages(repo=REPO):
    """The Markdown files the site and GitHub show: the READMEs and the lesson pages."""
    return [repo / "README.md", *sorted(repo.glob("stages/*/README.md")),
            *sorted((repo / "docs").rglob("*.md"))]


def markdown_problems(repo=REPO):
    """One line per relative link or image of the Markdown pages that names nothing."""
    problems = []
    for page in markdown_pages(repo):
        fence = None
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            marker = re.match(r"(`{3,}|~{3,})", line.lstrip())
            if marker:
                fence = None if fence else marker.group(1)[0] * 3
                continue
            if fence:
                continue
            spans = [m.span() for m in re.finditer(r"`+[^`]*`+", line)]
            for match in MARKDOWN_LINK.finditer(line):
                target = match.group("target")
                if any(start < match.start() < end for start, end in spans):
                    continue
                if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith(("#", "@", "\\")):
                    continue
                where = f"{page.relative_to(repo)}:{number}: {target}"
                path_part, _, fragment = target.partition("#")
                resolved = (page.parent / urllib.parse.unquote(path_part)).resolve()
                if repo not in resolved.parents and resolved != repo:
                    problems.append(f"{where}: points outside the repository")
                elif not resolved.exists():
                    problems.append(f"{where}: no such file")
                elif fragment and resolved.suffix in markdown_filter.SOURCES:
                    try:
                        markdown_filter.definition_line(resolved, fragment)
                    except markdown_filter.FilterError as e:
                        problems.append(f"{where}: {e}")
    return problems


def unembedded_pictures(root, embedded, repo=REPO):
    """The pictures under docs/images that no page of the site shows."""
    pictures = sorted(p for p in (repo / "docs" / "images").rglob("*") if p.is_file())
    return [f"{p.relative_to(repo)}: embedded in no page" for p in pictures
            if p.name not in embedded]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_links.py <html-dir>")
    root = pathlib.Path(sys.argv[1]).resolve()
    if not (root / "index.html").is_file():
        sys.exit(f"check_links: {root}/index.html does not exist; build the docs first")
    cache = {}
    problems = []
    embedded = set()  # the file names of every <img src> and <object data>
    pages = sorted(p for p in root.rglob("*.html") if "mathjax" not in p.relative_to(root).parts)
    for page in pages:
        for tag, attr, value in parse(page, cache).refs:
            if value.startswith(("mailto:", "javascript:")) or value in ("", "#"):
                continue
            if (tag, attr) in (("img", "src"), ("object", "data")):
                embedded.add(pathlib.PurePosixPath(urllib.parse.urlsplit(value).path).name)
            scheme = urllib.parse.urlsplit(value).scheme
            if scheme or value.startswith("//"):
                if tag != "a":
                    problems.append(f"{page.relative_to(root)}: <{tag} {attr}={value}> "
                                    "loads from the internet")
                continue
            problem = check_target(root, page, value, cache)
            if problem:
                problems.append(f"{page.relative_to(root)}: {problem}")
    # navtreedata.js, navtreeindex*.js, <page>.js: the tree view's links to pages.
    for script in sorted(root.glob("*.js")):
        for value in re.findall(r'"([\w.-]+\.html(?:#[\w.-]*)?)"', script.read_text()):
            problem = check_target(root, root / "index.html", value, cache, anchors=False)
            if problem:
                problems.append(f"{script.name}: {problem}")
    problems += unembedded_pictures(root, embedded)
    sources = markdown_problems()
    for line in problems + sources:
        print(f"check_links: {line}", file=sys.stderr)
    print(f"check_links: {len(pages)} pages, {len(markdown_pages())} Markdown files, "
          f"{len(problems) + len(sources)} broken link(s)")
    problems += sources
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
