"""Kind and priority suggestions from what a customer wrote and who they are: complaint,
request or inquiry; urgency and anger; the customer's segment; contacting again. Each
suggestion carries its reasons, which go into the ticket's history. No I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from closeloop.triage.routing import fold

_COMPLAINT = re.compile(
    r"投诉|差评|太差|垃圾|欺骗|骗人|骗子|不满|要求赔偿|曝光|315|消协|"
    r"\bcomplain|\bcomplaint|unacceptable|terrible|awful|worst|scam|disgrace|compensat"
)
_REQUEST = re.compile(
    r"退货|退款|换货|维修|返修|保修|补发|开发票|发票|取消订单|修改地址|申请|"
    r"\breturn\b|\brefund|\bexchange\b|\brepair|warranty|replacement|\binvoice|\bcancel"
)
_URGENT = re.compile(
    r"紧急|加急|马上|立刻|立即|尽快|急用|今天必须|十万火急|"
    r"\burgent|\basap\b|immediately|right now|as soon as possible|emergency"
)
_ANGER = re.compile(
    r"气死|愤怒|生气|受够|忍无可忍|太过分|无语|恶心|滚|"
    r"\bangry|furious|ridiculous|outrageous|fed up|sick of|!!!|！！"
)
_RAISE = {"low": "medium", "medium": "high", "high": "high"}
# Priorities in order, to raise a priority and never lower it.
PRIORITY_RANK = {"low": 0, "medium": 1, "high": 2}


@dataclass
class Suggestion:
    kind: str | None = None
    priority: str | None = None
    reasons: list[str] = field(default_factory=list)


def suggest(
    text: str, *, current_priority: str, segment: str = "", recent_contacts: int = 0
) -> Suggestion:
    """Suggest a kind and a (never lower) priority, with the cues that led to them."""
    folded = fold(text)
    suggestion = Suggestion()
    if _COMPLAINT.search(folded):
        suggestion.kind = "complaint"
        suggestion.reasons.append("complaint wording")
    elif _REQUEST.search(folded):
        suggestion.kind = "request"
        suggestion.reasons.append("request wording")
    priority = current_priority
    if _URGENT.search(folded):
        priority = _RAISE[priority]
        suggestion.reasons.append("urgency cue")
    if _ANGER.search(folded):
        priority = _RAISE[priority]
        suggestion.reasons.append("anger cue")
    if segment in ("vip", "high_value") and PRIORITY_RANK[priority] < PRIORITY_RANK["high"]:
        priority = "high"
        suggestion.reasons.append(f"customer segment {segment}")
    if recent_contacts >= 2:
        priority = _RAISE[priority]
        suggestion.reasons.append(f"contacted {recent_contacts} times in 7 days")
    if PRIORITY_RANK[priority] > PRIORITY_RANK.get(current_priority, 1):
        suggestion.priority = priority
    return suggestion
