"""Closeloop's benchmarks: each module has ``run(**options) -> dict``; ``closeloop bench NAME``.

Every benchmark builds its own throw-away data directory (and PostgreSQL database when given
``--database-url``), so it never reads or writes the data of the installation it runs from.
"""

from __future__ import annotations

# Name on the command line -> module. The module docstring's first line is its summary.
BENCHMARKS: dict[str, str] = {
    "create": "bench.create",
    "api": "bench.api",
    "inbox": "bench.inbox",
    "due": "bench.due",
    "email": "bench.email_intake",
    "wechat": "bench.wechat_webhook",
    "chat": "bench.chat_sockets",
    "triage": "bench.triage_banking77",
    "route": "bench.triage_route",
    "search": "bench.knowledge_search",
    "bot": "bench.bot_answer",
    "bot-banking77": "bench.bot_banking77",
    "workspace": "bench.workspace_pages",
    "alerts": "bench.alerts",
    "qa-checks": "bench.qa_checks",
    "analytics-overview": "bench.analytics_overview",
    "monthly-report": "bench.monthly_report",
}
