"""What a customer's message says besides its question (pure functions): its language, a
request for a person, a yes or no to "did this help?", a pick among offered articles."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# Chinese has no word boundaries: these phrases are specific enough on their own.
_PERSON_ZH = re.compile(
    r"人工|真人|客服|找人|接线员|坐席|活人|转接|有人吗|来个人|找个人|服务员|工作人员"
)
# English, word-boundary aware: "agent" but not "reagent", "a real person" but not
# "per person" on its own.
_PERSON_EN = re.compile(
    r"\b(?:human|agent|agents|representative|representatives|rep|operator|operators|"
    r"live\s+chat|customer\s+(?:service|support)|support\s+team)\b"
    r"|\b(?:real|live|actual|another)\s+(?:person|people|human|being)\b"
    r"|\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+)?"
    r"(?:someone|somebody|person|people|human|staff|manager|team)\b"
    r"|^\s*(?:a\s+)?person\s*(?:please|pls)?\s*[.!?]*\s*$",
    re.IGNORECASE,
)

_YES = {
    "yes", "y", "yeah", "yep", "yup", "ok", "okay", "sure", "thanks", "thank you", "thx",
    "solved", "resolved", "it helped", "that helped", "helpful", "great", "perfect", "got it",
    "是", "是的", "对", "对的", "好", "好的", "嗯", "有用", "有帮助", "解决了", "已解决",
    "谢谢", "多谢", "感谢", "可以了", "明白了", "知道了", "好了",
}  # fmt: skip
_NO_START = re.compile(
    r"^(?:no|nope|nah|n|not\s+(?:really|helpful|useful|quite)|(?:it\s+|that\s+)?"
    r"(?:didn'?t|did\s+not|doesn'?t|does\s+not|don'?t)\s+(?:help|work|answer)|"
    r"否|不是|没用|没有用|没帮助|没有帮助|不行|没解决|没有解决|不对|不管用|无用|不)\b",
    re.IGNORECASE,
)
_NO_ZH = re.compile(
    r"^(?:否|不是|没用|没有用|没帮助|没有帮助|不行|没解决|没有解决|不对|不管用|无用)"
)
_NONE = re.compile(
    r"^(?:0|none|none of (?:these|them|those)|neither|nothing|other|something else|"
    r"都不是|都不对|都没有|以上都不是|都不|其他|别的)$",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"^(?:#|no\.?\s*|number\s+|option\s+|第)?\s*(\d{1,2})\s*(?:个|项|条|号)?$", re.I
)
_ZH_NUMBERS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_ZH_ORDINAL = re.compile(r"^第?([一二两三四五])(?:个|项|条)?$")
_TRAILING = " \t\r\n.,!?;:。，！？；：~～…'\"“”‘’()（）"
SHORT_WORDS = 6
SHORT_CJK_CHARACTERS = 8


def plain(text: str) -> str:
    """NFKC, lower case, spaces squeezed, punctuation trimmed at both ends."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(folded.split()).strip(_TRAILING)


def has_cjk(text: str) -> bool:
    """Whether the text contains Chinese characters."""
    return bool(_CJK.search(text or ""))


def language_of(text: str, *, preferred: str = "") -> str:
    """``zh-hans`` for text with Chinese characters, else the customer's language (Chinese
    or English) or English."""
    if has_cjk(text):
        return "zh-hans"
    if preferred.lower().startswith("zh"):
        return "zh-hans"
    return "en"


def message_language(text: str, *, customer_language: str, conversation_language: str) -> str:
    """The language to answer one message in: Chinese for Chinese text; for other words the
    customer's language or English; a reply without words ("2") keeps the conversation's."""
    if not has_cjk(text) and not any(character.isalpha() for character in text):
        return language_of("", preferred=conversation_language)
    return language_of(text, preferred=customer_language)


def asks_for_person(text: str) -> bool:
    """Whether the customer asks to talk to a person ("人工", "转人工", "agent please")."""
    return bool(_PERSON_ZH.search(text or "") or _PERSON_EN.search(plain(text)))


def _is_short(text: str) -> bool:
    if has_cjk(text):
        return len(text) <= SHORT_CJK_CHARACTERS
    return len(text.split()) <= SHORT_WORDS


def feedback_of(text: str) -> bool | None:
    """True for "yes / it helped", False for "no / it did not help", None for anything else
    (a new question). A "no" may come with more words; a "yes" only in a short reply, since
    "yes, and how do I …" is a new question."""
    folded = plain(text)
    if not folded:
        return None
    if _NO_ZH.match(folded) or (not has_cjk(folded) and _NO_START.match(folded)):
        return False
    if folded == "不":
        return False
    if not _is_short(folded):
        return None
    if folded in _YES:
        return True
    first = re.split(r"[\s,，。!！]+", folded, maxsplit=1)[0]
    if first in _YES and not folded.endswith("?"):
        return True
    if any(folded.startswith(word) for word in ("解决了", "有用", "谢谢", "thank")):
        return True
    return None


def choice_of(text: str, titles: Sequence[str]) -> int | None:
    """The 1-based number of the offered article the reply picks (by number or title);
    0 for "none of these"; None when the reply is not a pick."""
    folded = plain(text)
    if not folded:
        return None
    if _NONE.match(folded):
        return 0
    match = _NUMBER.match(folded)
    number: int | None = int(match.group(1)) if match else None
    if number is None and (zh := _ZH_ORDINAL.match(folded)):
        number = _ZH_NUMBERS[zh.group(1)]
    if number is not None:
        return number if 1 <= number <= len(titles) else None
    for index, title in enumerate(titles, start=1):
        wanted = plain(title)
        if wanted and (folded == wanted or (len(folded) >= 4 and folded in wanted)):
            return index
    return None
