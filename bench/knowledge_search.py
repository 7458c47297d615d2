"""Knowledge search at 10,000 articles: p50/p95/p99 ms per article_search call.

A fresh database gets 10,000 published articles (deterministic seed): English ones written
from the Banking77 training texts (title, summary, body and example questions of one intent
each), Chinese ones from helpdesk phrases (退款, 物流, 售后服务 …), a tenth of them internal,
filed under the default taxonomy's problem types, and a few synonym groups. Then at least 500
queries of 1–6 words (English words from the Banking77 test texts, Chinese phrases), each
timed as one ``article_search`` call as the portal makes it (audience customer: public
articles only, snippets built, a search without a result recorded).
"""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path
from typing import Any

from bench._support import database_label, fresh_setup, latency_summary, postgres_version, run_child

TARGET_P95_MS = 20.0
SEED = 20261202
DATASET = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "banking77"
CHINESE_SHARE = 0.4
INTERNAL_SHARE = 0.1

OPTIONS_HELP = {
    "articles": "published articles in the index",
    "queries": "searches timed (after a warm-up of 30)",
    "database_url": "also measure on this PostgreSQL server (postgresql://…)",
}

CHINESE_TOPICS = [
    "退款", "退货", "换货", "维修", "物流", "快递", "发货", "签收", "发票", "订单", "售后服务",
    "保修", "电池", "充电", "屏幕", "蓝牙", "耳机", "账户", "密码", "登录", "会员", "积分",
    "优惠券", "支付", "银行卡", "信用卡", "转账", "余额", "提现", "手续费", "地址", "客服",
    "投诉", "审批", "申请", "配件", "安装", "升级", "系统", "网络",
]  # fmt: skip
CHINESE_PHRASES = [
    "如何申请{t}", "{t}多久可以到账", "{t}失败怎么办", "为什么我的{t}还没有处理", "{t}需要哪些材料",
    "{t}的流程是什么", "在订单页面点击{t}", "{t}一般需要三到五个工作日", "联系客服处理{t}问题",
    "{t}被拒绝了怎么办", "可以取消{t}吗", "{t}进度在哪里查看", "{t}和{u}有什么区别",
    "我的{t}出现问题，请帮忙看一下", "{t}收费标准", "修改{t}信息",
]  # fmt: skip
SYNONYMS = [
    "退款, refund, money back",
    "快递, 物流, delivery",
    "card, 银行卡",
    "top up, topup, 充值",
]


def run(*, articles: int = 10_000, queries: int = 600, database_url: str = "") -> dict[str, Any]:
    """Measure on SQLite, and on PostgreSQL when ``database_url`` is given."""
    results: dict[str, Any] = {}
    for url in ("", database_url) if database_url else ("",):
        label = database_label(url)
        with fresh_setup("knowledge-search", url) as (data_dir, bench_url):
            figures = run_child(
                "bench.knowledge_search:measure",
                data_dir=data_dir,
                database_url=bench_url,
                options={"articles": articles, "queries": queries},
                timeout=1800,
            )
        if url:
            figures["server_version"] = postgres_version(url)
        figures["target_p95_ms"] = TARGET_P95_MS
        figures["meets_target"] = figures["search"]["p95_ms"] <= TARGET_P95_MS
        results[label] = figures
    return results


def _banking77(split: str) -> dict[str, list[str]]:
    by_label: dict[str, list[str]] = {}
    with (DATASET / f"{split}.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            by_label.setdefault(row["label"], []).append(row["text"].strip())
    return by_label


def _english(rng: random.Random, label: str, texts: list[str]) -> dict[str, Any]:
    picked = rng.sample(texts, min(len(texts), rng.randint(6, 12)))
    topic = label.replace("_", " ")
    body = "\n\n".join(
        [
            f"## {topic.capitalize()}",
            " ".join(picked[2:5]),
            "- " + "\n- ".join(picked[5:8]),
            " ".join(picked[8:]) or picked[0],
        ]
    )
    return {
        "title": f"{picked[0].rstrip('?.!')} ({topic})"[:200],
        "summary": picked[1][:500],
        "body": body,
        "questions": "\n".join(picked[:4]),
        "language": "en",
    }


def _chinese(rng: random.Random) -> dict[str, Any]:
    topic, other = rng.sample(CHINESE_TOPICS, 2)
    sentences = [
        rng.choice(CHINESE_PHRASES).format(t=rng.choice((topic, topic, other)), u=other)
        for _ in range(rng.randint(6, 12))
    ]
    return {
        "title": sentences[0],
        "summary": sentences[1],
        "body": "。".join(sentences[2:]) + "。",
        "questions": "\n".join(sentences[:3]),
        "language": "zh-hans",
    }


def _setup(rng: random.Random, count: int) -> None:
    from django.db import connection

    from closeloop.core import clock
    from closeloop.knowledge.index import index_rebuild
    from closeloop.knowledge.markdown import render_markdown
    from closeloop.knowledge.models import Article, ArticleStatus, Visibility
    from closeloop.knowledge.services import synonym_group_save
    from closeloop.triage.models import Category
    from closeloop.triage.taxonomy import leaf_categories

    categories = list(leaf_categories())
    if not categories:
        categories = list(Category.objects.all())
    english = _banking77("train")
    labels = sorted(english)
    now = clock.now()
    rows = []
    for number in range(count):
        if rng.random() < CHINESE_SHARE:
            fields = _chinese(rng)
        else:
            label = rng.choice(labels)
            fields = _english(rng, label, english[label])
        rows.append(
            Article(
                slug=f"bench-{number}",
                category=rng.choice(categories) if categories else None,
                body_html=render_markdown(fields["body"]),
                status=ArticleStatus.PUBLISHED,
                visibility=(
                    Visibility.INTERNAL if rng.random() < INTERNAL_SHARE else Visibility.PUBLIC
                ),
                created_at=now,
                updated_at=now,
                published_at=now,
                **fields,
            )
        )
    Article.objects.bulk_create(rows, batch_size=500)
    index_rebuild()
    for terms in SYNONYMS:
        synonym_group_save(actor=None, terms=terms)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # as autovacuum would after a bulk load


def _queries(rng: random.Random, count: int) -> list[str]:
    tests = [text for texts in _banking77("test").values() for text in texts]
    queries = []
    for _ in range(count):
        words = rng.randint(1, 6)
        if rng.random() < CHINESE_SHARE:
            queries.append(" ".join(rng.sample(CHINESE_TOPICS, min(words, 3))))
        else:
            sentence = rng.choice(tests).split()
            start = rng.randrange(max(1, len(sentence) - words + 1))
            queries.append(" ".join(sentence[start : start + words]))
    return queries


def measure(*, articles: int, queries: int) -> dict[str, Any]:
    """Build the corpus in this (child) process's fresh database, then time the searches."""
    from django.db import connection

    from closeloop.knowledge.search import article_search

    rng = random.Random(SEED)
    started = time.perf_counter()
    _setup(rng, articles)
    setup_seconds = time.perf_counter() - started
    texts = _queries(rng, max(queries, 500))
    for text in texts[:30]:
        article_search(text, audience="customer")
    durations = []
    found = 0
    for text in texts:
        begin = time.perf_counter()
        results = article_search(text, audience="customer")
        durations.append(time.perf_counter() - begin)
        found += bool(results.hits)
    return {
        "database": connection.vendor,
        "articles": articles,
        "queries": len(texts),
        "queries_with_hits": found,
        "setup_seconds": round(setup_seconds, 1),
        "search": {key: round(value, 2) for key, value in latency_summary(durations).items()},
    }
