"""The default scorecard and the default phrase lists of the automatic checks (zh and en).

Plain data: the data migration installs it, and tests compare against it. Administrators edit
the installed rows (admin), not this file.
"""

from __future__ import annotations

DEFAULT_SCORECARD = {
    "code": "default",
    "name_en": "Conversation quality",
    "name_zh": "会话质量",
    "pass_mark": 80,
}

# key, name_en, name_zh, guidance_en, guidance_zh, weight, max_points, is_critical
DEFAULT_CRITERIA: list[tuple[str, str, str, str, str, int, int, bool]] = [
    (
        "greeting",
        "Greeting",
        "问候",
        "Greets the customer by name and introduces themself.",
        "称呼客户并自我介绍。",
        1,
        2,
        False,
    ),
    (
        "accuracy",
        "Accuracy",
        "准确性",
        "The information and the solution given are correct and complete.",
        "提供的信息和解决方案正确、完整。",
        3,
        4,
        False,
    ),
    (
        "empathy",
        "Empathy",
        "同理心",
        "Acknowledges the customer's situation and feelings; apologises where it is due.",
        "体察客户的处境和情绪，必要时致歉。",
        2,
        4,
        False,
    ),
    (
        "resolution",
        "Resolution",
        "问题解决",
        "The problem is solved, or the next step, owner and time are clear.",
        "问题已解决，或明确了下一步、负责人和时间。",
        3,
        4,
        False,
    ),
    (
        "compliance",
        "Compliance",
        "合规",
        "Identity checked before account details; no promises outside policy; no private data.",
        "涉及账户信息前已核实身份；不做政策以外的承诺；不泄露隐私信息。",
        2,
        1,
        True,
    ),
    (
        "closing",
        "Closing",
        "结束语",
        "Checks nothing else is needed and closes politely.",
        "确认客户没有其他问题并礼貌结束。",
        1,
        2,
        False,
    ),
]

# kind -> language -> phrases. Matching is case-insensitive on NFKC-normalised text.
DEFAULT_PHRASES: dict[str, dict[str, list[str]]] = {
    "greeting": {
        "en": [
            "hello",
            "hi",
            "good morning",
            "good afternoon",
            "good evening",
            "dear",
            "thank you for contacting",
            "thanks for contacting",
            "thanks for reaching out",
        ],
        "zh": ["您好", "你好", "欢迎", "很高兴为您服务", "感谢您的来电", "感谢您联系"],
    },
    "closing": {
        "en": [
            "anything else",
            "have a nice day",
            "have a great day",
            "best regards",
            "kind regards",
            "glad to help",
            "happy to help",
            "thank you for your patience",
            "goodbye",
        ],
        "zh": ["还有其他", "还有什么", "祝您", "感谢您的耐心", "感谢您的支持", "再见", "随时联系"],
    },
    "forbidden": {
        "en": [
            "calm down",
            "that's not my problem",
            "not my problem",
            "not my job",
            "you should have read",
            "nothing i can do",
            "stupid",
        ],
        "zh": ["不关我的事", "不归我管", "你自己看", "爱买不买", "听不懂吗", "没办法", "随便你"],
    },
    "apology": {
        "en": ["sorry", "apologize", "apologise", "apologies", "apology", "regret"],
        "zh": ["抱歉", "对不起", "不好意思", "致歉", "歉意"],
    },
    "negative": {
        "en": [
            "angry",
            "terrible",
            "awful",
            "bad",
            "worst",
            "disappointed",
            "disappointing",
            "useless",
            "unacceptable",
            "ridiculous",
            "frustrated",
            "annoyed",
            "horrible",
            "poor",
            "waste",
            "broken",
            "unhappy",
            "complain",
        ],
        "zh": [
            "生气",
            "失望",
            "太差",
            "差",
            "烂",
            "差劲",
            "垃圾",
            "投诉",
            "不满",
            "糟糕",
            "没用",
            "不行",
            "愤怒",
            "气死",
            "坑",
            "骗",
        ],
    },
    "positive": {
        "en": [
            "thank",
            "thanks",
            "great",
            "perfect",
            "good",
            "resolved",
            "solved",
            "works",
            "working",
            "happy",
            "appreciate",
            "excellent",
            "helpful",
        ],
        "zh": ["谢谢", "感谢", "好的", "满意", "解决", "可以", "太好了", "不错", "好用", "棒"],
    },
}

# Words that flip the next word's sentiment ("not good", "不满意" is in the lexicon itself).
NEGATIONS: dict[str, list[str]] = {
    "en": ["not", "no", "never", "don't", "doesn't", "didn't", "isn't", "wasn't", "can't", "won't"],
    "zh": ["不", "没", "没有", "别", "未"],
}
