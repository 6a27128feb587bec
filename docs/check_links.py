#!/usr/bin/env python3
"""Checks a generated Doxygen site for broken links and for anything that needs the internet.

Usage: python3 docs/check_links.py <build>/docs/html      (scripts/docs.sh runs it)

For every page: each relative href/src must name a file of the site, and each #anchor an
id or name in that file; a script, stylesheet, image or frame loaded from another host is an
error (the site must render offline). Links *to* other sites (<a href="https://...">) are
allowed: following one is the reader's choice. The tree-view data files (*.js) name pages
too; there only the file is checked (Doxygen lists enum values in the tree without writing
their anchors). Links in Doxygen's "summary" bar (#nested-classes, #pub-methods, ...) are not
checked either: it links sections that private members leave empty. Exit status 1 and one
line per problem when any is found.
"""
import html.parser
import pathlib
import re
import sys
import urllib.parse


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
            elif name in ("href", "src") and self.summary_depth is None:
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


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_links.py <html-dir>")
    root = pathlib.Path(sys.argv[1]).resolve()
    if not (root / "index.html").is_file():
        sys.exit(f"check_links: {root}/index.html does not exist; build the docs first")
    cache = {}
    problems = []
    pages = sorted(p for p in root.rglob("*.html") if "mathjax" not in p.relative_to(root).parts)
    for page in pages:
        for tag, attr, value in parse(page, cache).refs:
            if value.startswith(("mailto:", "javascript:")) or value in ("", "#"):
                continue
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
    for line in problems:
        print(f"check_links: {line}", file=sys.stderr)
    print(f"check_links: {len(pages)} pages, {len(problems)} broken link(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
