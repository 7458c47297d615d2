"""Article bodies: Markdown rendered to HTML, then sanitised, so whatever an editor (or an
attacker with an editor's account) writes is shown inert."""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "img", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead",
        "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})

# CommonMark with tables; raw HTML in the source is escaped, never passed through.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def render_markdown(body: str) -> str:
    """The body as sanitised HTML: no scripts, no event handlers, only http(s)/mailto links."""
    rendered = _markdown.render(body)
    return nh3.clean(
        rendered,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener nofollow",
    )


def plain_text(body_html: str) -> str:
    """The visible text of rendered HTML (for the search index and snippets)."""
    # Block ends become line breaks so words of adjacent paragraphs do not run together.
    spaced = body_html.replace("</", "\n</").replace("<br", "\n<br")
    return html.unescape(nh3.clean(spaced, tags=set())).strip()
