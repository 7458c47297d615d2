"""Help articles the bot tests learn from: English and Chinese, each with example questions."""

from __future__ import annotations

from typing import Any

ARTICLES: list[dict[str, Any]] = [
    {
        "slug": "reset-password",
        "title": "Reset your password",
        "summary": "Use the 'Forgot password' link on the sign-in page; the link we email "
        "you is valid for 30 minutes.",
        "questions": [
            "how do I reset my password",
            "I forgot my password",
            "can't log in, need a password reset",
            "change my login password",
            "the password reset link does not work",
        ],
    },
    {
        "slug": "track-order",
        "title": "Track your order",
        "summary": "Open My orders and choose Track; the courier's status updates every hour.",
        "questions": [
            "where is my order",
            "track my parcel",
            "when will my package arrive",
            "delivery status of my order",
            "my order has not arrived yet",
        ],
    },
    {
        "slug": "refund",
        "title": "Request a refund",
        "summary": "Refunds go back to the original payment method within 5 working days.",
        "questions": [
            "I want a refund",
            "how do I get my money back",
            "refund for my order",
            "how long does a refund take",
            "return the item and get a refund",
        ],
    },
    {
        "slug": "warranty-repair",
        "title": "Warranty and repairs",
        "summary": "Devices have a two-year warranty; book a repair from My devices.",
        "questions": [
            "is my phone under warranty",
            "how do I get my device repaired",
            "how long is the warranty period",
            "repair service for a broken screen",
        ],
    },
    {
        "slug": "change-address",
        "language": "zh-hans",
        "title": "修改收货地址",
        "summary": "订单发货前可以在“我的订单”里修改收货地址。",
        "questions": ["怎么修改收货地址", "地址填错了", "更改配送地址", "订单地址写错了怎么办"],
    },
    {
        "slug": "invoice",
        "language": "zh-hans",
        "title": "申请发票",
        "summary": "在订单详情页点击“申请发票”，电子发票会发到您的邮箱。",
        "questions": ["怎么开发票", "我需要发票", "申请电子发票", "发票抬头怎么改"],
    },
]


def make_articles(**overrides: Any) -> list[Any]:
    """Create the articles above, published and public."""
    from closeloop.core import clock
    from closeloop.knowledge.models import Article

    now = clock.now()
    created = []
    for data in ARTICLES:
        fields = {
            "language": "en",
            "status": "published",
            "visibility": "public",
            "body": f"# {data['title']}\n\n{data['summary']}\n\nMore details follow.",
            "created_at": now,
            "updated_at": now,
            "published_at": now,
            **{key: value for key, value in data.items() if key != "questions"},
            "questions": "\n".join(data["questions"]),
            **overrides,
        }
        created.append(Article.objects.create(**fields))
    return created


def article_texts() -> list[Any]:
    """The same articles as the matcher's pure input (ids 1, 2, …)."""
    from closeloop.knowledge.bot.matcher import ArticleText

    return [
        ArticleText(
            id=number,
            version=1,
            title=data["title"],
            summary=data["summary"],
            questions=data["questions"],
        )
        for number, data in enumerate(ARTICLES, start=1)
    ]


def trained_articles() -> dict[str, Any]:
    """The test articles, published, with the bot's matcher trained on them (by slug)."""
    from closeloop.knowledge.bot.store import clear_matcher_cache, matcher_train

    created = {article.slug: article for article in make_articles()}
    assert matcher_train(force=True).status == "trained"
    clear_matcher_cache()
    return created
