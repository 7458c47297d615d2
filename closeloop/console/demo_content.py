"""What the demo organisation is made of: teams, agents, names, products, and the contact
scenarios with what customers and agents write in Chinese and English (demo_data.py draws the
history from these)."""

from __future__ import annotations

from dataclasses import dataclass

from closeloop.people.models import TeamRole

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
