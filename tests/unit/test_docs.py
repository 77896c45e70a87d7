"""The documentation holds together: README is a short front door, every relative link in it and
in docs/ leads to a file that exists (and, with an #anchor into a Markdown page, to a heading of
that page), and every page under docs/ is linked from README and links back to it."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
PAGES = sorted((PROJECT_ROOT / "docs").glob("*.md"))
DOCUMENTS = [README, *PAGES]

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def prose(text: str) -> str:
    """The text without code blocks and inline code, where brackets are not links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def links(path: Path) -> list[str]:
    """Every link and image target in a Markdown file."""
    return LINK.findall(prose(path.read_text("utf-8")))


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation other than '-' and
    '_' dropped, spaces as '-', and '-1', '-2'... after a repeated one."""
    seen: dict[str, int] = {}
    result = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text("utf-8"))):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def test_anchors_follow_githubs_rule() -> None:
    page = PROJECT_ROOT / "docs" / "operations.md"
    assert {"1-run_weeklysh-by-hand-or-from-cron", "2-luigi---module-one-command-per-run",
            "the-duckdb-file-and-a-second-process"} <= anchors(page)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_relative_link_resolves(document: Path) -> None:
    broken = []
    for target in links(document):
        if SCHEME.match(target):
            continue  # https:, mailto: ... are not files of this repository
        file_part, _, anchor = target.partition("#")
        linked = (document.parent / unquote(file_part)).resolve() if file_part else document
        if not linked.exists():
            broken.append(f"{target}: no file {linked}")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading with the anchor #{anchor} in {linked.name}")
    assert not broken, f"{document.name} has broken links:\n" + "\n".join(broken)


def test_readme_stays_a_front_door() -> None:
    lines = README.read_text("utf-8").count("\n")
    assert lines < 300, f"README.md has {lines} lines; move the detail to a page under docs/"


def test_every_page_is_linked_from_readme_and_links_back() -> None:
    from_readme = {(README.parent / target.partition("#")[0]).resolve() for target in links(README)}
    assert [page.name for page in PAGES if page.resolve() not in from_readme] == []
    for page in PAGES:
        opening = "\n".join(page.read_text("utf-8").splitlines()[:6])
        assert "](../README.md)" in opening, f"{page.name} does not link back to README at its top"
