"""The routing decisions themselves: rules in order, and who in a team takes a ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from closeloop.triage.routing import (
    AgentState,
    Rule,
    TicketFacts,
    apply_rules,
    choose_agent,
    fold,
    keywords_of,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BATTERY = TicketFacts(
    category="battery",
    category_path=("product", "product-quality", "battery"),
    kind="complaint",
    channel="wechat",
    priority="medium",
    segment="standard",
    language="zh-hans",
    text="手机电池一晚上就没电了，太气人了！Battery drains overnight",
)


def test_every_matching_rule_applies_in_order_and_later_values_win():
    rules = [
        Rule(1, "product to technical", categories=frozenset({"product"}), set_team="technical"),
        Rule(2, "wechat complaints", kinds=frozenset({"complaint"}), set_priority="high"),
        Rule(3, "battery tag", keywords=("电池",), add_tags=("product fault – battery",)),
        Rule(4, "never", channels=frozenset({"email"}), set_team="pre-sales"),
        Rule(5, "chinese to after-sales", languages=frozenset({"zh"}), set_team="after-sales"),
    ]
    outcome = apply_rules(BATTERY, rules)
    assert (outcome.team, outcome.priority, outcome.tags) == (
        "after-sales",
        "high",
        ["product fault – battery"],
    )
    assert [m["rule_id"] for m in outcome.matched] == [1, 2, 3, 5]
    assert outcome.matched[0]["because"] == ["category=product"]
    assert outcome.matched[2]["because"] == ["keyword=电池"]


def test_a_stop_rule_ends_the_evaluation():
    rules = [
        Rule(1, "vip first", segments=frozenset({"standard"}), set_team="vip-desk", stop=True),
        Rule(2, "later", set_team="after-sales"),
    ]
    outcome = apply_rules(BATTERY, rules)
    assert outcome.team == "vip-desk"
    assert [m["rule_id"] for m in outcome.matched] == [1]


def test_all_conditions_must_hold_and_keywords_ignore_case_and_width():
    rule = Rule(1, "r", kinds=frozenset({"complaint"}), keywords=("BATTERY",), set_team="t")
    assert apply_rules(BATTERY, [rule]).team == "t"
    assert (
        apply_rules(TicketFacts(kind="complaint", text="ＢＡＴＴＥＲＹ dead"), [rule]).team == "t"
    )
    assert apply_rules(TicketFacts(kind="inquiry", text="battery"), [rule]).matched == []
    assert fold("  ＡＢＣ   Def ") == "abc def"
    assert keywords_of("退款, refund，退货\n") == ["退款", "refund", "退货"]


def _agent(agent_id: int, **fields) -> AgentState:
    values = {"online": True, "working": True, "capacity": 10, "open_tickets": 0}
    values.update(fields)
    return AgentState(id=agent_id, **values)


def test_skills_first_then_load_then_round_robin():
    required = {"battery": 3}
    agents = [
        _agent(1, skills={"battery": 2}, open_tickets=0),
        _agent(2, skills={"battery": 4}, open_tickets=5),
        _agent(3, skills={"battery": 3}, open_tickets=2),
    ]
    choice = choose_agent(agents, required_skills=required)
    assert (choice.agent_id, choice.reason) == (3, "best_match")  # both qualify; 3 is less loaded
    assert [s["agent_id"] for s in choice.scores] == [3, 2, 1]
    equal = [
        _agent(4, skills={"battery": 3}, last_assigned_at=T0),
        _agent(5, skills={"battery": 3}, last_assigned_at=T0 - timedelta(minutes=5)),
    ]
    assert choose_agent(equal, required_skills=required).agent_id == 5  # longest ago


def test_unavailable_agents_are_skipped_and_nobody_leaves_it_in_the_queue():
    agents = [
        _agent(1, online=False),
        _agent(2, working=False),
        _agent(3, open_tickets=10, capacity=10),
        _agent(4),
    ]
    assert choose_agent(agents).agent_id == 4
    none = choose_agent(agents[:3])
    assert (none.agent_id, none.reason) == (None, "nobody_available")


def test_high_value_customers_go_to_their_dedicated_agent_when_available():
    agents = [_agent(1), _agent(2, open_tickets=9)]
    vip = choose_agent(agents, dedicated_agent=2, segment="vip")
    assert (vip.agent_id, vip.reason) == (2, "dedicated_agent")
    standard = choose_agent(agents, dedicated_agent=2, segment="standard")
    assert standard.agent_id == 1
    away = choose_agent([_agent(1), _agent(2, online=False)], dedicated_agent=2, segment="vip")
    assert (away.agent_id, away.reason) == (1, "best_match")
