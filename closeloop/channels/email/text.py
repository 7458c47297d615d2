"""The text of an email: safe HTML, plain text from HTML, and the new words of a reply
separated from the history it quotes and the sender's signature (agents read the new part;
the rest stays one click away)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3

_ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) | {"img", "font", "center", "span", "div"}
_ALLOWED_ATTRIBUTES = {
    **{tag: set(values) for tag, values in nh3.ALLOWED_ATTRIBUTES.items()},
    "img": {"src", "alt", "width", "height", "title"},
    "a": {"href", "title"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign"},
    "font": {"color", "size"},
}
# cid: keeps inline images (Content-ID parts stored as attachments) displayable.
_URL_SCHEMES = set(nh3.ALLOWED_URL_SCHEMES) | {"cid"}


def sanitize_html(markup: str) -> str:
    """HTML that is safe to show agents: no scripts, handlers, styles or foreign schemes."""
    if not markup.strip():
        return ""
    return nh3.clean(
        markup,
        tags=_ALLOWED_TAGS,
        clean_content_tags={"script", "style", "title", "head"},
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
    )


_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"}
    | {"hr", "pre", "section", "article", "ul", "ol", "header", "footer"}
)
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.quote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag == "blockquote":
            self.quote_depth += 1
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        text = re.sub(r"\s+", " ", data)
        if self.quote_depth:
            # Quoted HTML history becomes "> " lines, so the quote splitter finds it.
            text = text.strip()
            if text:
                self.parts.append("\n" + "> " * self.quote_depth + text + "\n")
            return
        self.parts.append(text)


def html_to_text(markup: str) -> str:
    """Readable plain text of an HTML body (for mail that has no text/plain part)."""
    extractor = _TextExtractor()
    try:
        extractor.feed(markup)
        extractor.close()
    except Exception:  # HTMLParser is lenient; never let a strange document stop intake
        return html.unescape(re.sub(r"<[^>]*>", " ", markup)).strip()
    lines = [line.strip() for line in "".join(extractor.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass(frozen=True)
class SplitText:
    new_text: str
    quoted_text: str
    signature: str


_ATTRIBUTION = (
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.I),
    re.compile(r"^.{0,300}写道\s*[:：]\s*$"),
    re.compile(r"^.{0,300}\bschrieb\b.{0,100}:\s*$", re.I),
    re.compile(r"^\s*Le\b.{0,300}\ba écrit\s*:\s*$", re.I),
)
_SEPARATOR = re.compile(
    r"^\s*(-{2,}|_{2,})?\s*"
    r"(Original Message|Forwarded message|原始邮件|转发邮件|原邮件)"
    r"\s*(-{2,}|_{2,})?\s*$",
    re.I,
)
_UNDERSCORE_RULE = re.compile(r"^\s*_{10,}\s*$")
_HEADER_FROM = re.compile(r"^\s*\*?(From|发件人|寄件者)\s*\*?\s*[:：]", re.I)
_HEADER_OTHER = re.compile(
    r"^\s*\*?(Sent|Date|To|Subject|Cc|发送时间|时间|日期|收件人|主题|抄送)\s*\*?\s*[:：]", re.I
)


def _history_start(lines: list[str]) -> int | None:
    """Index of the first line of quoted history (an attribution, a separator, an Outlook
    header block), or None."""
    for index, line in enumerate(lines):
        joined = line if index + 1 >= len(lines) else f"{line} {lines[index + 1]}"
        if any(pattern.match(line) for pattern in _ATTRIBUTION):
            return index
        if line.lstrip().lower().startswith("on ") and _ATTRIBUTION[0].match(joined):
            return index
        if _SEPARATOR.match(line):
            return index
        if _HEADER_FROM.match(line):
            following = lines[index + 1 : index + 5]
            if sum(1 for item in following if _HEADER_OTHER.match(item)) >= 1:
                start = index
                if index > 0 and _UNDERSCORE_RULE.match(lines[index - 1]):
                    start = index - 1
                return start
    return None


def split_quoted(text: str) -> SplitText:
    """Split a reply into its new text, the history it quotes, and its signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    quoted: list[str] = []
    start = _history_start(lines)
    if start is not None:
        quoted = lines[start:]
        lines = lines[:start]
    if any(line.startswith(">") for line in lines):
        kept = [line for line in lines if not line.startswith(">")]
        removed = [line for line in lines if line.startswith(">")]
        # A trailing attribution line of a ">" block is history too.
        while kept and not kept[-1].strip():
            kept.pop()
        quoted = removed + quoted
        lines = kept
    signature: list[str] = []
    for index, line in enumerate(lines):
        if line.rstrip() == "--" or line == "-- ":
            signature = lines[index + 1 :]
            lines = lines[:index]
            break
    return SplitText(
        new_text="\n".join(lines).strip(),
        quoted_text="\n".join(quoted).strip(),
        signature="\n".join(signature).strip(),
    )
