#!/usr/bin/env python3
"""Checks that the lesson pages' "Next:" links walk the tour's order, every page once.

  python3 tests/docs/lesson_order_test.py [REPO]

The order is the one docs/mainpage.md gives the sections (layers, training, low level,
tooling) and, inside each, the order of its index page's \\subpage list. Each page ends with
one line "**Next:** \\ref <label>" naming the page after it; the last one leads back to the
tour (\\ref index). Prints each page whose link is missing or points elsewhere.
"""
import pathlib
import re
import sys

import page_check

SECTIONS = ("layers", "training", "low-level", "tooling")


def label(page):
    found = re.search(r"\{#(\w+)\}", page.read_text(encoding="utf-8").splitlines()[0])
    return found.group(1) if found else None


def tour(repo):
    """The lesson pages in the tour's order."""
    pages = []
    for section in SECTIONS:
        index = repo / "docs" / section / "index.md"
        by_label = {label(p): p for p in (repo / "docs" / section).glob("*.md")}
        pages.append(index)
        for name in re.findall(r"\\subpage\s+(\S+)", index.read_text(encoding="utf-8")):
            if name == "\\testing_page_label":  # scripts/docs.sh's alias for the testing page
                name = label(repo / "docs" / "tooling" / "testing.md")
            pages.append(by_label[name])
    return pages


def problems(repo):
    pages = tour(repo)
    wanted = [label(p) for p in pages[1:]] + ["index"]
    found = []
    for page, after in zip(pages, wanted):
        links = re.findall(r"^\*\*Next:\*\*.*?\\ref\s+(\w+)", page.read_text(encoding="utf-8"), re.MULTILINE)
        if links != [after]:
            found.append(f"{page.relative_to(repo)}: Next links {links or 'nothing'}, want [{after!r}]")
    lessons = set(p for s in SECTIONS for p in (repo / "docs" / s).glob("*.md"))
    for page in sorted(lessons - set(pages)):
        found.append(f"{page.relative_to(repo)}: not in its section's \\subpage list")
    return found


def main():
    return page_check.run(problems, lambda repo, found: f"lesson order: {len(tour(repo))} pages, "
                                                         f"{len(found)} problem(s)")


if __name__ == "__main__":
    sys.exit(main())
