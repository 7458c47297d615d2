"""The demo organisation: teams, agents, customers and about 90 days of service history.

Everything is drawn from one seeded random generator, so a seed and a ``now`` give the same
organisation and the same tickets. The history is written as import lines and loaded through
``closeloop.tickets.importer``, the path a migration from another helpdesk takes, so every
event, milestone and SLA clock is what live operation would have produced.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q

from closeloop.core import clock
from closeloop.core.errors import CloseloopError
from closeloop.core.models import Organization
from closeloop.customers.models import Customer, Segment
from closeloop.customers.services import customer_identify, customer_set_segment
from closeloop.people.models import Agent, Availability, Team, TeamMembership, TeamRole
from closeloop.sla.clocks import Target
from closeloop.sla.models import TicketClock
from closeloop.sla.policies import policy_for
from closeloop.sla.services import sla_sweep
from closeloop.tickets.importer import import_lines
from closeloop.tickets.models import Message, Ticket

ORGANIZATION_NAME = "Closeloop Demo 示例公司"
# Published demo logins, not secrets.
AGENT_PASSWORD = "demo1234"  # noqa: S105
ADMIN_USERNAME, ADMIN_PASSWORD = "admin", "admin"
LOCAL_TIME = ZoneInfo("Asia/Shanghai")
HOUR = 60

# code, name, restricted
TEAMS = (
    ("pre-sales", "售前 Pre-sales", False),
    ("after-sales", "售后 After-sales", False),
    ("technical", "技术支持 Technical support", True),
)
# username, display name, team (None: no team), role
AGENTS = (
    ("zhang.wei", "张伟 Zhang Wei", "pre-sales", TeamRole.LEAD),
    ("wang.fang", "王芳 Wang Fang", "pre-sales", TeamRole.MEMBER),
    ("liu.yang", "刘洋 Liu Yang", "pre-sales", TeamRole.MEMBER),
    ("li.na", "李娜 Li Na", "after-sales", TeamRole.LEAD),
    ("chen.jing", "陈静 Chen Jing", "after-sales", TeamRole.MEMBER),
    ("zhao.lei", "赵磊 Zhao Lei", "after-sales", TeamRole.MEMBER),
    ("sun.li", "孙丽 Sun Li", "after-sales", TeamRole.MEMBER),
    ("zhou.min", "周敏 Zhou Min", "after-sales", TeamRole.MEMBER),
    ("wu.hao", "吴昊 Wu Hao", "technical", TeamRole.LEAD),
    ("huang.qiang", "黄强 Huang Qiang", "technical", TeamRole.MEMBER),
    ("xu.jie", "徐杰 Xu Jie", "technical", TeamRole.MEMBER),
    ("ma.chao", "马超 Ma Chao", "technical", TeamRole.MEMBER),
    ("he.jun", "何军 He Jun", None, TeamRole.MEMBER),
)
DEPARTMENT_HEAD = "he.jun"
EXPERTS = {"pre-sales": "wang.fang", "after-sales": "ma.chao", "technical": "ma.chao"}
VIP_AGENTS = ("chen.jing", "sun.li", "li.na")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
# fmt: off
GIVEN_NAMES = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建华", "晓东", "雪", "婷婷", "子涵", "浩然", "欣怡",
)
ENGLISH_NAMES = (
    "Emma Schmidt", "Liam Carter", "Olivia Brown", "Noah Müller", "Ava Wilson", "Lucas Martin",
    "Mia Rossi", "Ethan Clarke", "Sofia Garcia", "James Lee", "Chloe Dubois", "Daniel Kim",
)
MOBILE_PREFIXES = (
    "130", "131", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "166",
    "176", "177", "180", "186", "187", "188", "189", "198",
)
# fmt: on
PRODUCTS = (
    ("X1 扫地机器人", "X1 robot vacuum"),
    ("S3 智能手表", "S3 smartwatch"),
    ("P20 蓝牙耳机", "P20 earbuds"),
    ("K5 电动牙刷", "K5 electric toothbrush"),
    ("AirPure 空气净化器", "AirPure air purifier"),
    ("H7 智能门锁", "H7 smart lock"),
)
# Channel weights; each channel needs the handle it reveals (chat and portal: email or phone).
CHANNELS = {"chat": 24, "wechat": 20, "email": 18, "phone": 15, "app": 12, "portal": 11}


@dataclass(frozen=True)
class Scenario:
    """A kind of contact: who handles it and what customers and agents write (zh, en)."""

    code: str
    weight: int
    team: str
    kind: str
    touchpoint: str
    priorities: tuple[int, int, int]  # weights of high, medium, low
    subjects: tuple[tuple[str, ...], tuple[str, ...]]
    body: tuple[str, str]
    ask: tuple[str, str]  # what the agent needs from the customer (the ticket then waits)
    solution: tuple[str, str]


SCENARIOS = (
    Scenario(
        code="order_not_arrived",
        weight=14,
        team="after-sales",
        kind="complaint",
        touchpoint="in_sale",
        priorities=(3, 5, 2),
        subjects=(
            ("订单 {order} 一直没有收到", "下单一周了 {product} 还没到货"),
            ("Order {order} has not arrived", "Still waiting for my {product}"),
        ),
        body=(
            "我在 {days} 天前下的订单 {order}（{product}），物流一直显示运输中，请帮忙查一下。",
            "I ordered a {product} ({order}) {days} days ago and tracking still says in transit.",
        ),
        ask=(
            "请提供收货人手机号后四位，我们联系快递核实。",
            "Could you confirm the last four digits of the recipient's phone number?",
        ),
        solution=(
            "快递在中转站滞留，已为您加急补发，单号已短信发送。",
            "The parcel was stuck at a depot; we re-shipped it express and texted you the number.",
        ),
    ),
    Scenario(
        code="refund",
        weight=12,
        team="after-sales",
        kind="request",
        touchpoint="after_sale",
        priorities=(2, 6, 2),
        subjects=(
            ("申请退款：{product}", "退款 {amount} 元还没到账"),
            ("Refund request for {product}", "Refund of CNY {amount} not received"),
        ),
        body=(
            "{product} 已经退回仓库三天了，退款 {amount} 元还没有到账。",
            "I returned the {product} three days ago; the CNY {amount} refund has not arrived.",
        ),
        ask=("请提供退货快递单号，方便财务核对。", "Please send the return tracking number."),
        solution=(
            "退款 {amount} 元已原路退回，1-3 个工作日到账。",
            "The CNY {amount} refund was issued to your original payment method (1-3 days).",
        ),
    ),
    Scenario(
        code="battery_fault",
        weight=10,
        team="technical",
        kind="incident",
        touchpoint="maintenance",
        priorities=(4, 5, 1),
        subjects=(
            ("{product} 电池鼓包", "{product} 充不进电"),
            ("{product} battery swelling", "{product} does not charge"),
        ),
        body=(
            "用了两个月的 {product} 突然充不进电，电池有点发烫，担心安全问题。",
            "My {product} stopped charging after two months and the battery gets hot.",
        ),
        ask=(
            "请拍一张电池和充电口的照片，并告诉我们序列号。",
            "Please send a photo of the battery and charging port, and the serial number.",
        ),
        solution=(
            "已确认为电池故障，在保修期内，已为您安排免费更换新机。",
            "Confirmed battery fault under warranty; a free replacement unit is on its way.",
        ),
    ),
    Scenario(
        code="invoice",
        weight=8,
        team="after-sales",
        kind="request",
        touchpoint="after_sale",
        priorities=(1, 4, 5),
        subjects=(
            ("开具增值税发票", "订单 {order} 的发票抬头错了"),
            ("VAT invoice for order {order}", "Wrong company name on invoice"),
        ),
        body=(
            "订单 {order} 需要开增值税专用发票，公司信息附后。",
            "I need a VAT invoice for order {order}; company details below.",
        ),
        ask=("请提供纳税人识别号和开户行信息。", "Please send your tax ID and bank details."),
        solution=(
            "电子发票已开具并发送到您的邮箱。",
            "The e-invoice has been issued to your email.",
        ),
    ),
    Scenario(
        code="installation",
        weight=8,
        team="technical",
        kind="request",
        touchpoint="after_sale",
        priorities=(1, 6, 3),
        subjects=(
            ("预约上门安装 {product}", "{product} 安装后无法连接 Wi-Fi"),
            ("Installation appointment for {product}", "{product} will not join Wi-Fi"),
        ),
        body=(
            "新买的 {product} 需要上门安装，这周末可以吗？",
            "My new {product} needs installing; is this weekend possible?",
        ),
        ask=("请确认安装地址和方便的时间段。", "Please confirm the address and a convenient time."),
        solution=(
            "已安排师傅周六上午上门，安装完成后会回访。",
            "A technician will come on Saturday morning; we will follow up afterwards.",
        ),
    ),
    Scenario(
        code="attitude",
        weight=5,
        team="after-sales",
        kind="complaint",
        touchpoint="after_sale",
        priorities=(7, 3, 0),
        subjects=(
            ("投诉：客服态度恶劣", "对电话客服的服务很不满意"),
            ("Complaint about a rude agent", "Unhappy with the phone support I got"),
        ),
        body=(
            "昨天打电话咨询退货，客服态度很不耐烦，还直接挂了电话，希望给个说法。",
            "I called about a return yesterday; the agent was impatient and hung up on me.",
        ),
        ask=(
            "请告诉我们来电时间和号码，我们调取录音核实。",
            "Please tell us when you called and from which number so we can review the call.",
        ),
        solution=(
            "已核实录音并向您致歉，已对相关同事进行辅导，并补偿 {amount} 元优惠券。",
            "We reviewed the call, apologise, coached the agent and added a CNY {amount} voucher.",
        ),
    ),
    Scenario(
        code="product_question",
        weight=12,
        team="pre-sales",
        kind="inquiry",
        touchpoint="pre_sale",
        priorities=(1, 5, 4),
        subjects=(
            ("{product} 和上一代有什么区别？", "{product} 适合小户型吗"),
            ("Difference between {product} and the previous model?", "Is {product} right for me?"),
        ),
        body=(
            "想买 {product}，请问续航多久？支持哪些功能？",
            "How long does the {product} last, and which features does it support?",
        ),
        ask=("请问您的使用场景和预算是多少？", "What will you mainly use it for, and your budget?"),
        solution=(
            "已为您发送详细参数对比和选购建议。",
            "We sent you a detailed comparison and advice.",
        ),
    ),
    Scenario(
        code="promotion",
        weight=7,
        team="pre-sales",
        kind="inquiry",
        touchpoint="pre_sale",
        priorities=(0, 4, 6),
        subjects=(
            ("双十一活动价格咨询", "{product} 能用优惠券吗"),
            ("Is there a discount on {product}?", "Coupon not applied at checkout"),
        ),
        body=(
            "{product} 现在下单能参加满减吗？优惠券在结算时用不了。",
            "Does the current promotion apply to the {product}? My coupon fails at checkout.",
        ),
        ask=("请截图结算页面给我们看一下。", "Please send a screenshot of the checkout page."),
        solution=(
            "已为您手动补发优惠券，结算时可直接使用。",
            "We re-issued the coupon manually; it now applies at checkout.",
        ),
    ),
    Scenario(
        code="app_login",
        weight=8,
        team="technical",
        kind="incident",
        touchpoint="maintenance",
        priorities=(3, 5, 2),
        subjects=(
            ("App 登录一直提示验证码错误", "绑定设备失败"),
            ("Cannot log in to the app", "App fails to pair with {product}"),
        ),
        body=(
            "手机 App 登录时一直提示验证码错误，换了网络也不行，无法控制 {product}。",
            "The app keeps rejecting my verification code so I cannot control my {product}.",
        ),
        ask=(
            "请提供手机型号、系统版本和 App 版本号。",
            "Please tell us your phone model, OS version and app version.",
        ),
        solution=(
            "短信通道已修复，请更新到最新版 App 后重新登录。",
            "The SMS gateway issue is fixed; update the app and log in again.",
        ),
    ),
    Scenario(
        code="feedback",
        weight=5,
        team="after-sales",
        kind="feedback",
        touchpoint="after_sale",
        priorities=(0, 3, 7),
        subjects=(
            ("建议：{product} 增加定时功能", "对包装的一点意见"),
            ("Suggestion for the {product}", "Feedback on packaging"),
        ),
        body=(
            "{product} 很好用，建议增加定时功能，另外包装太大了不环保。",
            "Love the {product}; a timer would help, and the packaging is wasteful.",
        ),
        ask=("方便说一下您最常用的使用时段吗？", "When do you use it most?"),
        solution=(
            "感谢建议，已提交产品团队评估，下个版本会考虑。",
            "Thank you; the product team is reviewing it for the next version.",
        ),
    ),
    Scenario(
        code="return_exchange",
        weight=7,
        team="after-sales",
        kind="request",
        touchpoint="after_sale",
        priorities=(1, 6, 3),
        subjects=(
            ("{product} 申请换货", "七天无理由退货"),
            ("Exchange my {product}", "Return within 7 days"),
        ),
        body=(
            "收到的 {product} 颜色不对，想换成黑色。",
            "The {product} I received is the wrong colour; I would like black instead.",
        ),
        ask=("请确认商品未使用、配件齐全。", "Please confirm the item is unused and complete."),
        solution=(
            "换货已审核通过，快递员明天上门取件。",
            "The exchange is approved; a courier collects the item tomorrow.",
        ),
    ),
    Scenario(
        code="warranty_repair",
        weight=6,
        team="technical",
        kind="request",
        touchpoint="maintenance",
        priorities=(2, 6, 2),
        subjects=(
            ("{product} 保修维修", "{product} 屏幕失灵"),
            ("Warranty repair for {product}", "{product} screen unresponsive"),
        ),
        body=(
            "{product} 屏幕触摸失灵，还在保修期内，怎么申请维修？",
            "My {product} touchscreen stopped responding; it is under warranty.",
        ),
        ask=("请提供购买凭证和序列号。", "Please send proof of purchase and the serial number."),
        solution=(
            "维修已完成，设备已寄回，保修期延长三个月。",
            "The repair is done and shipped back; warranty extended by three months.",
        ),
    ),
    Scenario(
        code="damaged_delivery",
        weight=5,
        team="after-sales",
        kind="complaint",
        touchpoint="in_sale",
        priorities=(5, 4, 1),
        subjects=(
            ("收到的 {product} 外壳破损", "快递送到时包装已经压坏"),
            ("{product} arrived damaged", "Parcel crushed on delivery"),
        ),
        body=(
            "今天收到的 {product} 外壳裂了，包装也被压坏，要求换新。",
            "The {product} I received today has a cracked casing; I want a new one.",
        ),
        ask=("请拍下外包装和破损处的照片。", "Please send photos of the box and the damage."),
        solution=(
            "已为您免费换新，破损件无需寄回。",
            "A new unit is on its way free of charge; keep the damaged one.",
        ),
    ),
    Scenario(
        code="firmware",
        weight=4,
        team="technical",
        kind="inquiry",
        touchpoint="maintenance",
        priorities=(0, 5, 5),
        subjects=(
            ("{product} 固件升级失败", "升级后耗电变快"),
            ("{product} firmware update failed", "Battery drains after update"),
        ),
        body=(
            "{product} 固件升级到一半失败了，现在一直重启。",
            "The {product} firmware update failed halfway and it keeps rebooting.",
        ),
        ask=(
            "请长按电源键 10 秒后告诉我们指示灯颜色。",
            "Hold the power button for 10 seconds and tell us the light colour.",
        ),
        solution=(
            "已远程推送修复固件，升级后恢复正常。",
            "We pushed a fixed firmware remotely; the device works normally again.",
        ),
    ),
)
FIRST_REPLY = (
    "您好{name}，我是{agent}，已收到您的问题，正在为您处理。",
    "Hello {name}, this is {agent}. Thanks for reaching out, I am looking into it now.",
)
ANSWERS = (
    ("好的，信息如下：{order}，照片已上传。", "已补充，麻烦尽快。"),
    ("Here you go: {order}, photo attached.", "Details added, please hurry."),
)
THANKS = (("收到，谢谢您的配合，我们马上处理。",), ("Thanks, got it. Working on it now.",))
FOLLOW_UPS = (
    ("请问现在进展如何？", "有结果了吗？挺着急的。"),
    ("Any update on this?", "Is there any news? It is urgent."),
)
REOPENS = (
    ("问题又出现了，还是不行。", "换了之后还是一样的问题。"),
    ("The problem is back.", "Still not working, sorry."),
)
NOTES = (
    "已联系仓库核实。",
    "已提交质检部门分析。",
    "Checked with the warehouse.",
    "客户情绪较大，注意安抚。",
)
ESCALATION_REASONS = (
    "客户要求赔偿，超出一线权限",
    "多次处理未解决，需要主管介入",
    "客户表示将投诉到消费者协会",
    "VIP 客户，要求主管回电",
    "Customer threatens to post publicly",
)
PRIORITY_REASONS = ("客户情绪激动，提升优先级", "涉及安全隐患", "Customer's business is blocked")


class DemoRefused(CloseloopError):
    """The demo only loads into an empty database."""

    code = "demo_refused"
    http_status = 409


@dataclass(frozen=True)
class DemoSummary:
    """What ``load_demo`` created."""

    organization: str
    teams: int
    agents: int
    logins: tuple[tuple[str, str], ...]  # (username, password)
    customers: int
    tickets: int
    tickets_by_status: dict[str, int]
    messages: int
    escalated: int
    reopened: int
    breached: int  # tickets with an SLA breach recorded while the history was replayed
    breaches_due: int  # overdue clocks the next ``closeloop worker --once`` fires
    skipped: list[str]  # import lines that failed (a bug in the generator if not empty)
    seconds: float
    digest: str  # SHA-256 over number, subject and status of every ticket

    def lines(self) -> list[str]:
        """The summary as text for the console."""
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.tickets_by_status.items()))
        return [
            f"{self.organization}: {self.teams} teams, {self.agents} agents, "
            f"{self.customers} customers",
            f"{self.tickets} tickets ({statuses}), {self.messages} messages, "
            f"{self.escalated} escalated, {self.reopened} reopened, {self.breached} breached, "
            f"{self.breaches_due} breaches due for the worker; loaded in {self.seconds:.1f} s",
            "Logins: " + ", ".join(f"{user} / {password}" for user, password in self.logins),
        ]


@dataclass
class _Person:
    """A demo customer as the generator sees them."""

    handles: dict[str, str]
    name: str
    segment: str
    language: int  # 0 Chinese, 1 English
    dedicated_agent: str | None = None


@dataclass
class _Story:
    """One ticket's history being written: a cursor in time and the steps so far."""

    created_at: datetime
    steps: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.at = self.created_at

    def add(self, after: timedelta, step_type: str, **fields: Any) -> None:
        self.at += max(after, timedelta(seconds=1))
        self.steps.append({"at": self.at, "type": step_type, **fields})


def load_demo(
    *,
    seed: int = 7,
    days: int = 90,
    tickets_per_day: int = 35,
    now: datetime | None = None,
    stdout: Writer | None = None,
) -> DemoSummary:
    """Create the demo organisation and its history; refuse a database that is in use.

    The demo belongs in a fresh data directory (``closeloop --data-dir DIR demo``): it refuses
    with ``DemoRefused`` when the database already has tickets, customers, teams or users, so it
    can never mix invented history into real data or delete anything; start again by pointing
    at a new directory. Everything is written in one transaction: a failure leaves the
    database as it was. Given the same ``seed`` and ``now``, the data is the same. ``now``
    (default: the clock) is where the history ends; steps later than it have not happened yet,
    which leaves the most recent tickets open in every state, and a few unanswered ones are past
    due or at risk for the next ``closeloop worker --once`` to flag. Progress goes to
    ``stdout``; the caller prints ``DemoSummary.lines()``.
    """
    _refuse_unless_empty()
    started = time.monotonic()
    end = (now or clock.now()).replace(microsecond=0)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    with transaction.atomic():
        _organization()
        agents = _people()
        people = _customers(
            rng,
            agents,
            count=max(30, days * tickets_per_day // 6),
            end=end,
            span=timedelta(days=days),
        )
        lines = _ticket_lines(rng, people, days=days, per_day=tickets_per_day, end=end)
        _say(stdout, f"Importing {len(lines)} demo tickets …")
        report = import_lines(lines, sweep=sla_sweep)
        summary = _summary(report.errors, started, end)
    for error in summary.skipped:
        _say(stdout, f"skipped {error}")
    return summary


class Writer(Protocol):
    """Where progress goes: a text stream or a management command's ``self.stdout``."""

    def write(self, text: str, /) -> Any:
        """Write ``text``."""


def _say(stdout: Writer | None, text: str) -> None:
    if stdout is not None:
        stdout.write(text + "\n")


def _refuse_unless_empty() -> None:
    counts = {
        "tickets": Ticket.objects.count(),
        "customers": Customer.objects.count(),
        "teams": Team.objects.count(),
        "users": User.objects.count(),
    }
    present = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
    if present:
        raise DemoRefused(
            f"The database already has {present}; the demo loads only into an empty one "
            "(closeloop --data-dir NEW_DIR demo).",
            details=counts,
        )


def _organization() -> None:
    organization = Organization.current()
    organization.name = ORGANIZATION_NAME
    organization.time_zone = "Asia/Shanghai"
    organization.save(update_fields=["name", "time_zone", "updated_at"])


def _people() -> dict[str, Agent]:
    """Teams, agents with logins, leads, department head, experts and the administrator."""
    teams = {
        code: Team.objects.create(name=name, code=code, is_restricted=restricted)
        for code, name, restricted in TEAMS
    }
    # One hash for every agent: hashing is deliberately slow, and these are demo passwords.
    password = make_password(AGENT_PASSWORD)
    agents: dict[str, Agent] = {}
    for username, display_name, team_code, role in AGENTS:
        user = User.objects.create(
            username=username,
            password=password,
            email=f"{username}@demo.closeloop.invalid",
            is_staff=True,
        )
        agents[username] = Agent.objects.create(
            user=user, display_name=display_name, availability=Availability.ONLINE
        )
        if team_code is not None:
            TeamMembership.objects.create(team=teams[team_code], agent=agents[username], role=role)
    for code, team in teams.items():
        team.department_head = agents[DEPARTMENT_HEAD]
        team.expert = agents[EXPERTS[code]]
        team.save(update_fields=["department_head", "expert"])
    admin = User.objects.create_superuser(
        username=ADMIN_USERNAME, password=ADMIN_PASSWORD, email="admin@demo.closeloop.invalid"
    )
    agents[ADMIN_USERNAME] = Agent.objects.create(user=admin, display_name="管理员 Admin")
    return agents


def _customers(
    rng: random.Random, agents: dict[str, Agent], *, count: int, end: datetime, span: timedelta
) -> list[_Person]:
    """Customers with handles across channels and value segments; VIPs get a dedicated agent."""
    people = []
    for number in range(count):
        language = 1 if rng.random() < 0.18 else 0
        name = (
            rng.choice(ENGLISH_NAMES)
            if language
            else (rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES))
        )
        handles: dict[str, str] = {}
        if rng.random() < 0.7 or language:
            handles["email"] = f"customer{number:04d}@example.com"
        if rng.random() < 0.85:
            handles["phone"] = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if rng.random() < 0.55 and not language:
            handles["wechat_openid"] = "o" + "".join(
                rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
                for _ in range(27)
            )
        if rng.random() < 0.4:
            handles["app_user_id"] = f"app-{100000 + number}"
        if not handles:
            handles["email"] = f"customer{number:04d}@example.com"
        segment = rng.choices(
            [Segment.VIP, Segment.HIGH_VALUE, Segment.STANDARD, Segment.NEW], [5, 15, 70, 10]
        )[0]
        person = _Person(handles=handles, name=name, segment=segment, language=language)
        if segment == Segment.VIP:
            person.dedicated_agent = rng.choice(VIP_AGENTS)
        with clock.frozen_at(end - span - timedelta(days=rng.uniform(1, 700))):
            customer = customer_identify(**handles, name=name)
            customer_set_segment(customer=customer, segment=segment)
        if person.dedicated_agent:
            # No service sets a dedicated agent yet; this is the demo's own setup.
            Customer.objects.filter(pk=customer.pk).update(
                dedicated_agent=agents[person.dedicated_agent]
            )
        people.append(person)
    return people


def _ticket_lines(
    rng: random.Random, people: list[_Person], *, days: int, per_day: int, end: datetime
) -> list[str]:
    """The history as import lines, oldest first, then a few tickets left waiting."""
    members = _members()
    local_end = end.astimezone(LOCAL_TIME)
    hour_weights = [1, 1, 1, 1, 1, 2, 3, 6, 9, 12, 12, 11, 8, 9, 11, 11, 10, 9, 8, 8, 7, 6, 4, 2]
    created: list[datetime] = []
    for days_back in range(days - 1, -1, -1):
        day = (local_end - timedelta(days=days_back)).replace(hour=0, minute=0, second=0)
        factor = 0.75 if day.weekday() >= 5 else 1.1
        for _ in range(round(per_day * factor * rng.uniform(0.8, 1.2))):
            hour = rng.choices(range(24), hour_weights)[0]
            moment = day + timedelta(hours=hour, seconds=rng.randrange(3600))
            if moment < end - timedelta(minutes=2):
                created.append(moment.astimezone(end.tzinfo))
    created.sort()
    lines = []
    for number, created_at in enumerate(created, start=1):
        record = _ticket(
            rng, f"demo-{number:05d}", rng.choice(people), members, created_at=created_at, end=end
        )
        lines.append(json.dumps(record, ensure_ascii=False))
    # Unanswered tickets, as old as these shares of their first-response target: three past
    # due, two at risk. Last in the file, so no later line's replay sweeps them and the next
    # worker run fires their breaches and warnings.
    for number, (waiting, priority) in enumerate(
        [(1.6, "high"), (2.5, "high"), (1.4, "medium"), (0.85, "high"), (0.9, "medium")],
        start=len(created) + 1,
    ):
        record = _ticket(
            rng,
            f"demo-{number:05d}",
            rng.choice(people),
            members,
            end=end,
            priority=priority,
            waiting=waiting,
        )
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines


def _members() -> dict[str, list[str]]:
    rows = TeamMembership.objects.values_list("team__code", "agent__user__username").order_by(
        "team__code", "agent__user__username"
    )
    members: dict[str, list[str]] = {}
    for code, username in rows:
        members.setdefault(code, []).append(username)
    return members


def _pick(rng: random.Random, options: tuple[str, ...], **values: Any) -> str:
    return rng.choice(options).format(**values)


def _ticket(
    rng: random.Random,
    ref: str,
    person: _Person,
    members: dict[str, list[str]],
    *,
    end: datetime,
    created_at: datetime | None = None,
    priority: str | None = None,
    waiting: float | None = None,
) -> dict[str, Any]:
    """One ticket's import line: its contact, and a history cut off at ``end``.

    A ticket ``waiting`` has had no reply yet and is that share of its first-response target
    old (routing may have assigned it).
    """
    scenario = rng.choices(SCENARIOS, [s.weight for s in SCENARIOS])[0]
    lang = person.language
    channel = _channel(rng, person)
    if priority is None:
        priority = rng.choices(["high", "medium", "low"], scenario.priorities)[0]
        if person.segment == Segment.VIP and priority == "low":
            priority = "medium"
    if waiting is not None:
        first_target = _targets(scenario, channel, priority, person.segment)[0]
        created_at = end - timedelta(minutes=first_target * waiting)
    if created_at is None:
        raise ValueError("a ticket needs created_at or waiting")
    product = PRODUCTS[rng.randrange(len(PRODUCTS))][lang]
    values = {
        "order": f"SO{created_at:%y%m%d}{rng.randrange(10000):04d}",
        "product": product,
        "amount": rng.choice([59, 129, 199, 299, 699, 1299, 2499]),
        "days": rng.randint(5, 12),
        "name": person.name,
    }
    customer: dict[str, str] = {"name": person.name, "segment": person.segment}
    customer.update(_revealed_handles(channel, person))
    story = _Story(created_at)
    _lifecycle(
        rng, story, scenario, person, members, channel=channel, priority=priority, values=values
    )
    history = []
    for step in story.steps:
        if step["at"] > end or (waiting is not None and step["type"] != "assign"):
            break
        history.append({**step, "at": step["at"].isoformat()})
    return {
        "external_ref": ref,
        "subject": _pick(rng, scenario.subjects[lang], **values),
        "channel": channel,
        "kind": scenario.kind,
        "priority": priority,
        "touchpoint": scenario.touchpoint,
        "team": scenario.team,
        "customer": customer,
        "created_at": created_at.isoformat(),
        "body": scenario.body[lang].format(**values),
        "history": history,
    }


def _channel(rng: random.Random, person: _Person) -> str:
    usable = {
        "chat": "email" in person.handles or "phone" in person.handles,
        "portal": "email" in person.handles or "phone" in person.handles,
        "wechat": "wechat_openid" in person.handles,
        "email": "email" in person.handles,
        "phone": "phone" in person.handles,
        "app": "app_user_id" in person.handles,
    }
    names = [name for name in CHANNELS if usable[name]]
    return rng.choices(names, [CHANNELS[name] for name in names])[0]


def _revealed_handles(channel: str, person: _Person) -> dict[str, str]:
    """The handles a contact through ``channel`` tells us (identify finds the rest)."""
    wanted = {
        "email": ("email",),
        "phone": ("phone",),
        "wechat": ("wechat_openid",),
        "app": ("app_user_id", "phone"),
        "chat": ("email", "phone"),
        "portal": ("email", "phone"),
    }[channel]
    return {key: person.handles[key] for key in wanted if key in person.handles}


def _targets(scenario: Scenario, channel: str, priority: str, segment: str) -> tuple[int, int, int]:
    """First-response, next-response and resolution targets in minutes, from the policies."""
    loaded = policy_for(priority=priority, kind=scenario.kind, channel=channel, segment=segment)
    if loaded is None:
        return 4 * HOUR, 4 * HOUR, 72 * HOUR
    targets = loaded.targets
    first = _minutes(targets.first_response, 24 * HOUR)
    return first, _minutes(targets.next_response, first), _minutes(targets.resolution, 72 * HOUR)


def _minutes(target: Target | None, default: int) -> int:
    if target is None:
        return default
    # A working day counts as about 1.4 calendar days (weekends): good enough for pacing.
    return target.minutes or int((target.working_days or 1) * 1.4 * 24 * HOUR)


def _late(rng: random.Random, target: int, *, on_time: float) -> timedelta:
    """A delay against a target: mostly comfortably in time, some close, some late."""
    roll = rng.random()
    if roll < on_time:
        share = rng.uniform(0.05, 0.7)
    elif roll < on_time + (1 - on_time) / 2:
        share = rng.uniform(0.8, 0.98)
    else:
        share = rng.uniform(1.05, 3.0)
    return timedelta(minutes=target * share)


def _lifecycle(
    rng: random.Random,
    story: _Story,
    scenario: Scenario,
    person: _Person,
    members: dict[str, list[str]],
    *,
    channel: str,
    priority: str,
    values: dict[str, Any],
) -> None:
    """Write what happens to the ticket: routing, replies, waits, escalations, resolution."""
    lang = person.language
    first_target, next_target, resolution_target = _targets(
        scenario, channel, priority, person.segment
    )
    team = scenario.team
    agent = (
        person.dedicated_agent
        if person.dedicated_agent and team == "after-sales"
        else (rng.choice(members[team]))
    )
    first_reply = _late(rng, first_target, on_time=0.95 if channel != "phone" else 1.0)
    routing = rng.random()
    if routing < 0.6:
        story.add(
            first_reply * rng.uniform(0.05, 0.3), "assign", to=agent, reason="routed by skill"
        )
    elif routing < 0.85:
        story.add(first_reply * rng.uniform(0.05, 0.5), "assign", agent=agent)
    story.at = max(story.at, story.created_at + first_reply)
    greeting = FIRST_REPLY[lang].format(name=person.name, agent=agent)
    story.add(timedelta(0), "message", author="agent", agent=agent, is_public=True, body=greeting)
    if rng.random() < 0.2:
        story.add(
            timedelta(minutes=rng.uniform(1, 30)),
            "message",
            author="agent",
            agent=agent,
            is_public=False,
            body=rng.choice(NOTES),
        )
    if rng.random() < 0.1 and scenario.team == "pre-sales":
        # A sales question that turns out to be technical: transfer the ticket.
        story.add(
            timedelta(minutes=rng.uniform(5, 60)),
            "update",
            agent=agent,
            team="technical",
            reason="转技术支持 / handed to technical support",
        )
        agent = rng.choice(members["technical"])
        story.add(timedelta(minutes=rng.uniform(1, 20)), "assign", to=agent)
    elif priority != "high" and rng.random() < 0.06:
        story.add(
            timedelta(minutes=rng.uniform(5, 120)),
            "update",
            agent=agent,
            priority="high",
            reason=rng.choice(PRIORITY_REASONS),
        )
    if rng.random() < 0.35:
        story.add(
            timedelta(minutes=rng.uniform(1, 10)),
            "message",
            author="agent",
            agent=agent,
            is_public=True,
            body=scenario.ask[lang].format(**values),
        )
        story.add(
            timedelta(seconds=rng.uniform(5, 60)),
            "pend",
            agent=agent,
            reason="waiting for customer details",
        )
        if rng.random() < 0.9:
            story.add(
                timedelta(hours=rng.uniform(0.3, 30)),
                "message",
                author="customer",
                body=_pick(rng, ANSWERS[lang], **values),
            )
            story.add(
                _late(rng, next_target, on_time=0.95),
                "message",
                author="agent",
                agent=agent,
                is_public=True,
                body=_pick(rng, THANKS[lang]),
            )
    if rng.random() < 0.3:
        story.add(
            timedelta(hours=rng.uniform(1, 20)),
            "message",
            author="customer",
            body=_pick(rng, FOLLOW_UPS[lang]),
        )
        story.add(
            _late(rng, next_target, on_time=0.95),
            "message",
            author="agent",
            agent=agent,
            is_public=True,
            body=("正在加急处理，请稍候。", "We are on it, thank you.")[lang],
        )
    escalation_chance = 0.15 if scenario.kind == "complaint" else 0.02
    if person.segment == Segment.VIP:
        escalation_chance += 0.05
    if rng.random() < escalation_chance:
        story.add(
            timedelta(minutes=rng.uniform(10, 240)),
            "escalate",
            agent=agent,
            reason=rng.choice(ESCALATION_REASONS),
        )
        if rng.random() < 0.3:
            story.add(
                timedelta(hours=rng.uniform(1, 12)),
                "escalate",
                agent=agent,
                reason="一线与组长均无法解决，升级部门负责人",
            )
    _resolve(rng, story, scenario, person, agent, resolution_target, values)


def _resolve(
    rng: random.Random,
    story: _Story,
    scenario: Scenario,
    person: _Person,
    agent: str,
    resolution_target: int,
    values: dict[str, Any],
) -> None:
    """Resolution, then confirmation, auto-close after 72 h, or a reopening."""
    lang = person.language
    for attempt in range(2):
        due = story.created_at + _late(rng, resolution_target, on_time=0.95)
        story.at = max(story.at + timedelta(minutes=rng.uniform(5, 90)), due)
        story.add(
            timedelta(0),
            "message",
            author="agent",
            agent=agent,
            is_public=True,
            body=scenario.solution[lang].format(**values),
        )
        story.add(
            timedelta(minutes=rng.uniform(1, 15)),
            "resolve",
            agent=agent,
            reason=scenario.solution[lang].format(**values),
        )
        outcome = rng.random()
        if attempt == 0 and outcome < 0.08:
            if rng.random() < 0.65:
                story.add(
                    timedelta(hours=rng.uniform(2, 60)),
                    "message",
                    author="customer",
                    body=_pick(rng, REOPENS[lang]),
                )
            else:
                story.add(
                    timedelta(hours=rng.uniform(2, 60)),
                    "reopen",
                    reason="客户表示问题未解决 / customer says it is not solved",
                )
            continue
        if outcome < 0.6:
            story.add(timedelta(hours=rng.uniform(0.2, 48)), "confirm")
        else:
            story.add(
                timedelta(hours=72, minutes=rng.uniform(0, 5)),
                "close",
                reason="confirmation window elapsed",
            )
        return


def _summary(errors: list[Any], started: float, end: datetime) -> DemoSummary:
    tickets = Ticket.objects.all()
    by_status = Counter(tickets.values_list("status", flat=True))
    digest = hashlib.sha256()
    for number, subject, status in tickets.order_by("number").values_list(
        "number", "subject", "status"
    ):
        digest.update(f"{number}|{subject}|{status}\n".encode())
    late = (
        Q(stopped_at__isnull=True, paused_since__isnull=True)
        | Q(stopped_at__gt=F("due_at"))
        | Q(paused_since__gt=F("due_at"))
    )
    return DemoSummary(
        organization=ORGANIZATION_NAME,
        teams=Team.objects.count(),
        agents=Agent.objects.count(),
        logins=(
            (ADMIN_USERNAME, ADMIN_PASSWORD),
            *((username, AGENT_PASSWORD) for username, *_rest in AGENTS),
        ),
        customers=Customer.objects.count(),
        tickets=tickets.count(),
        tickets_by_status=dict(sorted(by_status.items())),
        messages=Message.objects.count(),
        escalated=tickets.filter(escalation_level__gt=0).count(),
        reopened=tickets.filter(reopen_count__gt=0).count(),
        breached=tickets.filter(sla_breached_at__isnull=False).count(),
        breaches_due=TicketClock.objects.filter(
            late, breached_at__isnull=True, due_at__lte=end
        ).count(),
        skipped=[str(error) for error in errors],
        seconds=time.monotonic() - started,
        digest=digest.hexdigest(),
    )
