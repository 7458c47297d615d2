"""The skills, problem taxonomy and tags every new installation starts with: an e-commerce and
consumer-electronics helpdesk, in English and Chinese.

Used by data migrations, so ``install_defaults`` takes the (historical) model classes as
arguments and only adds what is missing by code (or name, for tags): an administrator's
edits, renames of names and deactivations are never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# (code, English, Chinese)
SKILLS: list[tuple[str, str, str]] = [
    ("battery", "Batteries and charging", "电池与充电"),
    ("screen", "Screens and displays", "屏幕与显示"),
    ("hardware", "Hardware diagnosis", "硬件故障诊断"),
    ("app", "Companion app and accounts", "App 与账号"),
    ("network", "Wi-Fi, Bluetooth and connectivity", "网络与蓝牙连接"),
    ("firmware", "Firmware and updates", "固件与升级"),
    ("setup", "Installation and setup", "安装与设置"),
    ("returns", "Returns", "退货"),
    ("exchanges", "Exchanges", "换货"),
    ("repairs", "Repairs and warranty", "维修与保修"),
    ("refunds", "Refunds", "退款"),
    ("invoices", "Billing and invoices", "账单与发票"),
    ("logistics", "Logistics and delivery", "物流配送"),
    ("payments", "Payments and promotions", "支付与优惠"),
    ("service-recovery", "Complaint handling and service recovery", "投诉处理与服务补救"),
]


@dataclass(frozen=True)
class Node:
    """One default category and, for families and groups, its children."""

    code: str
    name_en: str
    name_zh: str
    description: str = ""
    kind: str = ""
    priority: str = ""
    skills: tuple[tuple[str, int], ...] = ()
    children: tuple[Node, ...] = field(default_factory=tuple)


def _leaf(
    code: str,
    name_en: str,
    name_zh: str,
    kind: str,
    priority: str,
    skills: tuple[tuple[str, int], ...] = (),
    description: str = "",
) -> Node:
    return Node(code, name_en, name_zh, description, kind, priority, skills)


TAXONOMY: tuple[Node, ...] = (
    Node(
        "product",
        "Product",
        "产品",
        "Problems with the product itself: how it is made and what it does.",
        children=(
            Node(
                "product-quality",
                "Product quality",
                "产品质量",
                "Hardware faults and defects.",
                children=(
                    _leaf(
                        "battery",
                        "Battery: drain, swelling, not holding charge",
                        "电池问题：耗电快、鼓包、不蓄电",
                        "complaint",
                        "high",
                        (("battery", 2),),
                        "A swollen battery is a safety risk: treat it as high priority.",
                    ),
                    _leaf(
                        "screen",
                        "Screen: dead pixels, flicker, cracks, touch",
                        "屏幕问题：坏点、闪屏、碎裂、触控失灵",
                        "complaint",
                        "medium",
                        (("screen", 2),),
                    ),
                    _leaf(
                        "overheating",
                        "Overheating",
                        "发热、过热",
                        "complaint",
                        "high",
                        (("hardware", 3), ("battery", 2)),
                    ),
                    _leaf(
                        "charging",
                        "Charging fault: charger, cable, port",
                        "充电故障：充电器、数据线、接口",
                        "complaint",
                        "medium",
                        (("battery", 2),),
                    ),
                    _leaf(
                        "audio",
                        "Sound: speaker, microphone, earphones",
                        "声音问题：扬声器、麦克风、耳机",
                        "complaint",
                        "medium",
                        (("hardware", 2),),
                    ),
                    _leaf(
                        "camera",
                        "Camera: blurry, won't focus, won't open",
                        "摄像头问题：模糊、无法对焦、无法打开",
                        "complaint",
                        "medium",
                        (("hardware", 2),),
                    ),
                    _leaf(
                        "no-power",
                        "Won't turn on, freezes or restarts",
                        "无法开机、死机、自动重启",
                        "incident",
                        "high",
                        (("hardware", 3),),
                    ),
                    _leaf(
                        "build-defect",
                        "Build defect: loose parts, scratches, buttons",
                        "做工缺陷：松动、划痕、按键失灵",
                        "complaint",
                        "medium",
                        (("hardware", 1),),
                    ),
                ),
            ),
            Node(
                "product-function",
                "Product function",
                "产品功能",
                "How to use the product, and features that do not work as expected.",
                children=(
                    _leaf(
                        "setup",
                        "Setup and first use",
                        "安装设置与首次使用",
                        "inquiry",
                        "low",
                        (("setup", 1),),
                    ),
                    _leaf(
                        "app-pairing",
                        "App pairing and Bluetooth binding",
                        "App 配对与蓝牙绑定",
                        "inquiry",
                        "medium",
                        (("app", 2), ("network", 1)),
                    ),
                    _leaf(
                        "connectivity",
                        "Wi-Fi and network connection",
                        "Wi-Fi 与网络连接",
                        "inquiry",
                        "medium",
                        (("network", 2),),
                    ),
                    _leaf(
                        "firmware-update",
                        "Firmware and system updates",
                        "固件与系统升级",
                        "inquiry",
                        "medium",
                        (("firmware", 2),),
                    ),
                    _leaf(
                        "account-login",
                        "Account, login and verification codes",
                        "账号登录与验证码",
                        "inquiry",
                        "medium",
                        (("app", 1),),
                    ),
                    _leaf(
                        "how-to",
                        "How to use a feature",
                        "功能使用咨询",
                        "inquiry",
                        "low",
                        (("setup", 1),),
                    ),
                    _leaf(
                        "compatibility",
                        "Compatibility with phones, systems and accessories",
                        "兼容性：手机、系统与配件",
                        "inquiry",
                        "low",
                        (("setup", 2),),
                    ),
                    _leaf(
                        "data-sync",
                        "Data sync and backup",
                        "数据同步与备份",
                        "incident",
                        "medium",
                        (("app", 2),),
                    ),
                ),
            ),
        ),
    ),
    Node(
        "service",
        "Service",
        "服务",
        "How the customer was served: speed and manner.",
        children=(
            Node(
                "service-response",
                "Service response",
                "服务响应",
                "Too slow, or nobody followed up.",
                children=(
                    _leaf(
                        "slow-response",
                        "Slow response or long wait",
                        "响应慢、等待时间长",
                        "complaint",
                        "high",
                        (("service-recovery", 2),),
                    ),
                    _leaf(
                        "no-follow-up",
                        "No call-back or follow-up as promised",
                        "未按承诺回电或跟进",
                        "complaint",
                        "high",
                        (("service-recovery", 2),),
                    ),
                    _leaf(
                        "repeated-contact",
                        "Contacted several times, still unresolved",
                        "多次联系仍未解决",
                        "complaint",
                        "high",
                        (("service-recovery", 3),),
                    ),
                    _leaf(
                        "unreachable",
                        "Cannot reach customer service",
                        "客服渠道无法联系",
                        "complaint",
                        "medium",
                        (("service-recovery", 1),),
                    ),
                ),
            ),
            Node(
                "service-attitude",
                "Service attitude",
                "服务态度",
                "How the customer was treated.",
                children=(
                    _leaf(
                        "rude-agent",
                        "Rude or impatient agent",
                        "客服态度恶劣、不耐烦",
                        "complaint",
                        "high",
                        (("service-recovery", 3),),
                    ),
                    _leaf(
                        "wrong-information",
                        "Wrong or inconsistent answers",
                        "答复错误或前后不一致",
                        "complaint",
                        "medium",
                        (("service-recovery", 2),),
                    ),
                    _leaf(
                        "unprofessional",
                        "Agent lacks product knowledge",
                        "客服不专业、不懂产品",
                        "complaint",
                        "medium",
                        (("service-recovery", 2),),
                    ),
                    _leaf(
                        "promise-broken",
                        "Promise not kept",
                        "承诺未兑现",
                        "complaint",
                        "high",
                        (("service-recovery", 3),),
                    ),
                ),
            ),
        ),
    ),
    Node(
        "process",
        "Process",
        "流程",
        "Applications, approvals and after-sales steps.",
        children=(
            Node(
                "process-application",
                "Process: applications",
                "流程：申请",
                "The customer asks for something to be done.",
                children=(
                    _leaf(
                        "return",
                        "Return request",
                        "退货申请",
                        "request",
                        "medium",
                        (("returns", 1),),
                    ),
                    _leaf(
                        "exchange",
                        "Exchange request",
                        "换货申请",
                        "request",
                        "medium",
                        (("exchanges", 1),),
                    ),
                    _leaf(
                        "repair",
                        "Repair request",
                        "维修申请",
                        "request",
                        "medium",
                        (("repairs", 1),),
                    ),
                    _leaf(
                        "refund",
                        "Refund request",
                        "退款申请",
                        "request",
                        "medium",
                        (("refunds", 1),),
                    ),
                    _leaf(
                        "invoice",
                        "Invoice request or correction",
                        "开具或更正发票",
                        "request",
                        "low",
                        (("invoices", 1),),
                    ),
                    _leaf(
                        "order-change",
                        "Change or cancel an order",
                        "修改或取消订单",
                        "request",
                        "high",
                        (("logistics", 1),),
                    ),
                    _leaf(
                        "price-protection",
                        "Price protection (price dropped after purchase)",
                        "价格保护（购买后降价）",
                        "request",
                        "low",
                        (("payments", 1),),
                    ),
                ),
            ),
            Node(
                "process-approval",
                "Process: approvals",
                "流程：审批",
                "A request waits on a decision.",
                children=(
                    _leaf(
                        "warranty-claim",
                        "Warranty claim approval",
                        "保修申请审批",
                        "request",
                        "medium",
                        (("repairs", 2),),
                    ),
                    _leaf(
                        "refund-approval",
                        "Refund approval delayed or refused",
                        "退款审核慢或被拒",
                        "complaint",
                        "high",
                        (("refunds", 2),),
                    ),
                    _leaf(
                        "compensation",
                        "Compensation claim",
                        "赔偿申请",
                        "request",
                        "medium",
                        (("service-recovery", 3),),
                    ),
                ),
            ),
            Node(
                "process-after-sales",
                "Process: after-sales and delivery",
                "流程：售后与物流",
                "Delivery, pick-up, installation and repair progress.",
                children=(
                    _leaf(
                        "delivery-delay",
                        "Delivery delayed",
                        "物流延迟、迟迟未到货",
                        "complaint",
                        "medium",
                        (("logistics", 1),),
                    ),
                    _leaf(
                        "wrong-item",
                        "Wrong item delivered",
                        "发错货",
                        "complaint",
                        "high",
                        (("logistics", 1), ("exchanges", 1)),
                    ),
                    _leaf(
                        "missing-parts",
                        "Missing parts or items",
                        "少件、漏发配件",
                        "complaint",
                        "medium",
                        (("logistics", 1),),
                    ),
                    _leaf(
                        "damaged-in-transit",
                        "Damaged in transit",
                        "运输途中损坏",
                        "complaint",
                        "high",
                        (("logistics", 2), ("returns", 1)),
                    ),
                    _leaf(
                        "installation-appointment",
                        "Installation or on-site visit appointment",
                        "上门安装或服务预约",
                        "request",
                        "medium",
                        (("setup", 2),),
                    ),
                    _leaf(
                        "repair-progress",
                        "Repair progress",
                        "维修进度查询",
                        "inquiry",
                        "medium",
                        (("repairs", 1),),
                    ),
                    _leaf(
                        "return-pickup",
                        "Return pick-up by courier",
                        "退货上门取件",
                        "request",
                        "medium",
                        (("logistics", 1), ("returns", 1)),
                    ),
                ),
            ),
            Node(
                "process-payment",
                "Process: payment",
                "流程：支付",
                "Paying, being charged, coupons.",
                children=(
                    _leaf(
                        "payment-failed",
                        "Payment failed",
                        "支付失败",
                        "incident",
                        "high",
                        (("payments", 1),),
                    ),
                    _leaf(
                        "double-charge",
                        "Charged twice or wrong amount",
                        "重复扣款或金额错误",
                        "complaint",
                        "high",
                        (("payments", 2), ("refunds", 1)),
                    ),
                    _leaf(
                        "coupon",
                        "Coupons and promotions",
                        "优惠券与促销活动",
                        "inquiry",
                        "low",
                        (("payments", 1),),
                    ),
                ),
            ),
        ),
    ),
)

# (name, category code): the start of the free tag library (DESIGN.md's examples).
TAGS: list[tuple[str, str]] = [
    ("产品故障-电池", "battery"),
    ("产品故障-屏幕", "screen"),
    ("服务-售后延迟", "no-follow-up"),
    ("物流-延迟", "delivery-delay"),
    ("product fault – battery", "battery"),
    ("service – after-sales delay", "no-follow-up"),
    ("safety risk", "battery"),
    ("VIP", ""),
]

ORDER_STEP = 10


def iter_taxonomy() -> list[tuple[Node, str | None, str, int]]:
    """Every default node, parents before children: (node, parent code, family, order)."""
    rows: list[tuple[Node, str | None, str, int]] = []

    def walk(nodes: tuple[Node, ...], parent: str | None, family: str | None) -> None:
        for position, node in enumerate(nodes, start=1):
            node_family = family or node.code
            rows.append((node, parent, node_family, position * ORDER_STEP))
            walk(node.children, node.code, node_family)

    walk(TAXONOMY, None, None)
    return rows


def install_defaults(
    skill_model: Any,
    category_model: Any,
    category_skill_model: Any,
    tag_model: Any,
    *,
    now: datetime | None = None,
) -> None:
    """Create the default skills, categories (with required skills) and tags that are missing."""
    for code, name_en, name_zh in SKILLS:
        skill_model.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_zh": name_zh}
        )
    skills = {skill.code: skill for skill in skill_model.objects.all()}
    categories = {category.code: category for category in category_model.objects.all()}
    for node, parent_code, family, order in iter_taxonomy():
        if node.code in categories:
            continue
        category = category_model.objects.create(
            code=node.code,
            parent=categories.get(parent_code) if parent_code else None,
            name_en=node.name_en,
            name_zh=node.name_zh,
            description=node.description,
            family=family,
            default_kind=node.kind,
            default_priority=node.priority,
            order=order,
        )
        categories[node.code] = category
        for skill_code, level in node.skills:
            if skill_code in skills:
                category_skill_model.objects.create(
                    category=category, skill=skills[skill_code], min_level=level
                )
    created_at = now or datetime.now(tz=UTC)
    for name, category_code in TAGS:
        if tag_model.objects.filter(name__iexact=name).exists():
            continue
        tag_model.objects.create(
            name=name, category=categories.get(category_code), created_at=created_at
        )
