"""Every relative link in README.md and docs/*.md resolves: the file or folder exists, and a #anchor names a
heading of the target Markdown file (GitHub's anchors). Links inside code spans and code blocks are text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
INDENTED = re.compile(r"^(?: {4}|\t).*$", re.M)
CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def prose(text: str) -> str:
    """The Markdown without code blocks (fenced or indented) and code spans."""
    return CODE_SPAN.sub("", INDENTED.sub("", FENCE.sub("", text)))


def anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lowercased, punctuation dropped, spaces to hyphens, repeats numbered."""
    seen: dict[str, int] = {}
    out = set()
    for title in HEADING.findall(FENCE.sub("", text)):
        slug = re.sub(r"[^\w\- ]", "", title.replace("`", "").strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def broken_links(page: Path) -> list[str]:
    """Each relative link of `page` that does not resolve, as 'target: why'."""
    bad = []
    for target in LINK.findall(prose(page.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):   # https:, mailto: ...: not relative
            continue
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        if not dest.exists():
            bad.append(f"{target}: no such file or folder")
        elif anchor:
            if dest.suffix != ".md":
                bad.append(f"{target}: an anchor into a file that is not Markdown")
            elif anchor not in anchors(dest.read_text(encoding="utf-8")):
                bad.append(f"{target}: no heading of {dest.name} has the anchor #{anchor}")
    return bad


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    assert broken_links(page) == []


def test_the_docs_are_there_and_linked_from_the_readme():
    readme_links = set(LINK.findall(prose((ROOT / "README.md").read_text(encoding="utf-8"))))
    assert len(PAGES) > 5
    assert "docs/README.md" in readme_links


def test_a_missing_file_and_a_missing_anchor_are_found(tmp_path):
    (tmp_path / "b.md").write_text("# Title\n\n## The `--inject` flag: faults\n")
    page = tmp_path / "a.md"
    page.write_text("[ok](b.md#the---inject-flag-faults) [gone](c.md) [bad](b.md#nowhere) [web](https://x.org/y)\n"
                    "`[in code](d.md)`\n\n    [indented](e.md)\n\n```\n[fenced](f.md)\n```\n[self](#title-here)\n")
    assert broken_links(page) == ["c.md: no such file or folder",
                                  "b.md#nowhere: no heading of b.md has the anchor #nowhere",
                                  "#title-here: no heading of a.md has the anchor #title-here"]
