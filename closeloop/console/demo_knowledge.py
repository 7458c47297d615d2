"""The demo organisation's help centre: bilingual articles about its products and after-sales
rules, with the questions customers ask (what the FAQ bot learns), and the team's synonyms."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    """One language's version of a demo article."""

    title: str
    summary: str
    body: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class DemoArticle:
    """A demo article in English and Chinese, filed under a problem type."""

    slug: str
    category: str
    en: Text
    zh: Text
    internal: bool = False


SYNONYMS = (
    "refund, money back, reimburse, 退款, 退钱",
    "return, send back, 退货, 退回",
    "exchange, swap, replace, 换货, 更换",
    "repair, fix, 维修, 修理, 保修",
    "invoice, receipt, 发票, 收据",
    "delivery, shipping, parcel, 快递, 物流, 发货",
    "charge, charging, charger, 充电, 充电器",
    "battery, 电池, 电量",
    "password, 密码",
    "pair, pairing, bind, 配对, 绑定",
)

ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        slug="return-policy",
        category="return",
        en=Text(
            "How to return a product within 7 days",
            "Unused products can be returned within 7 days of delivery; start the return "
            "from your order or the help centre.",
            "You can return any product **within 7 days of delivery** for any reason, and "
            "within 15 days if it is faulty.\n\n"
            "1. Open *Submit a request* and choose **After-sales → Return**.\n"
            "2. Enter your order number (for example `DEMO-100001`) and the reason.\n"
            "3. We book a courier pick-up; pack the product with all its accessories.\n\n"
            "Your refund starts as soon as the warehouse checks the parcel, usually within "
            "2 working days.",
            (
                "How do I return my product?",
                "I want to return the robot vacuum I bought",
                "Can I send back the watch, I don't like it",
                "What is your return policy?",
                "How many days do I have to return an item?",
                "return an unopened order",
            ),
        ),
        zh=Text(
            "7 天无理由退货怎么办理",
            "签收后 7 天内未使用的商品可无理由退货，在订单或帮助中心发起退货申请。",
            "签收后 **7 天内** 可无理由退货；商品有质量问题的，**15 天内** 可退货。\n\n"
            "1. 打开“提交申请”，选择 **售后 → 退货**。\n"
            "2. 填写订单号（例如 `DEMO-100001`）和退货原因。\n"
            "3. 我们会预约快递上门取件，请连同全部配件一起包装好。\n\n"
            "仓库验收后立即退款，通常在 2 个工作日内完成。",
            (
                "怎么退货",
                "我想退货，扫地机器人不想要了",
                "手表不喜欢可以退吗",
                "你们的退货政策是什么",
                "几天内可以退货",
                "七天无理由退货怎么申请",
            ),
        ),
    ),
    DemoArticle(
        slug="refund-time",
        category="refund",
        en=Text(
            "When will I get my refund?",
            "Refunds go back to the original payment method within 1–5 working days after "
            "the return is checked.",
            "Once the warehouse has checked your return, we refund the full amount to the "
            "payment method you used:\n\n"
            "| Payment method | Time to arrive |\n|---|---|\n"
            "| WeChat Pay / Alipay | within 1 working day |\n"
            "| Bank card | 3–5 working days |\n\n"
            "You get a message when the refund is issued. If it has not arrived after 5 "
            "working days, reply to that message with your order number.",
            (
                "When will I get my money back?",
                "How long does a refund take?",
                "I returned my order but haven't received the refund",
                "Where is my refund?",
                "refund not received yet",
                "how long until the money is back on my card",
            ),
        ),
        zh=Text(
            "退款多久到账",
            "退货验收后，款项原路退回：微信/支付宝 1 个工作日内，银行卡 3–5 个工作日。",
            "仓库验收退货后，我们会把全款原路退回：\n\n"
            "| 支付方式 | 到账时间 |\n|---|---|\n"
            "| 微信支付 / 支付宝 | 1 个工作日内 |\n"
            "| 银行卡 | 3–5 个工作日 |\n\n"
            "退款发出时会通知您。超过 5 个工作日仍未到账，请回复该通知并附上订单号。",
            (
                "退款多久到账",
                "钱什么时候退回来",
                "退货了还没收到退款",
                "我的退款去哪了",
                "退款一直没到",
                "退到银行卡要几天",
            ),
        ),
    ),
    DemoArticle(
        slug="exchange-faulty-product",
        category="exchange",
        en=Text(
            "Exchanging a faulty product",
            "A product that is faulty within 15 days is exchanged for a new one; we collect "
            "the faulty unit.",
            "If your product develops a fault **within 15 days of delivery**, we exchange it "
            "for a new one of the same model and colour.\n\n"
            "Submit an after-sales request of type **Exchange** with your order number and a "
            "photo or video of the fault. The new unit ships when the courier collects the "
            "old one.",
            (
                "Can I exchange my faulty earbuds?",
                "I want a replacement, the product arrived broken",
                "swap the watch for a new one",
                "How do I exchange a defective item?",
                "exchange for a different colour",
            ),
        ),
        zh=Text(
            "质量问题换货",
            "签收 15 天内出现质量问题可换新，我们上门取回故障机。",
            "签收后 **15 天内** 出现性能故障，可更换同型号同颜色的新品。\n\n"
            "请提交类型为 **换货** 的售后申请，填写订单号并附上故障照片或视频。"
            "快递取走旧机后，新机立即发出。",
            (
                "耳机坏了能换新吗",
                "收到就是坏的，我要换货",
                "手表想换一个新的",
                "质量问题怎么换货",
                "可以换颜色吗",
            ),
        ),
    ),
    DemoArticle(
        slug="warranty-repair",
        category="repair",
        en=Text(
            "Warranty and repairs",
            "Every product has a one-year warranty; repairs under warranty are free and take "
            "about 7 working days.",
            "All our products carry a **one-year warranty** from the delivery date (two years "
            "for the H7 smart lock).\n\n"
            "- Under warranty: parts, labour and shipping are free.\n"
            "- Out of warranty: we quote before repairing; you decide.\n\n"
            "Submit an after-sales request of type **Repair**. Repairs take about 7 working "
            "days from when we receive the product; you can follow progress under *My "
            "tickets*.",
            (
                "How long is the warranty?",
                "My watch is broken, can you repair it?",
                "Is the repair free?",
                "how do I send my product for repair",
                "repair cost out of warranty",
                "how long does a repair take",
            ),
        ),
        zh=Text(
            "保修与维修服务",
            "所有产品保修一年，保修期内免费维修，约 7 个工作日完成。",
            "所有产品自签收之日起 **保修一年**（H7 智能门锁保修两年）。\n\n"
            "- 保修期内：配件、人工和运费全免。\n"
            "- 保修期外：先报价，您确认后再维修。\n\n"
            "请提交类型为 **维修** 的售后申请。收到产品后约 7 个工作日修好，"
            "可在“我的工单”中查看进度。",
            (
                "保修多久",
                "手表坏了能修吗",
                "维修要钱吗",
                "怎么寄修",
                "过了保修期维修多少钱",
                "维修要多久",
            ),
        ),
    ),
    DemoArticle(
        slug="invoice-request",
        category="invoice",
        en=Text(
            "Getting an invoice (fapiao)",
            "Electronic invoices are issued within 3 working days of delivery; you can ask for "
            "a company invoice or a correction.",
            "We issue an **electronic invoice** automatically within 3 working days of "
            "delivery and send it to the email on your order.\n\n"
            "For a company (VAT) invoice or a correction, submit a request with the company "
            "name and tax number. Corrections are possible within 30 days.",
            (
                "How do I get an invoice?",
                "I need a receipt for my order",
                "Can you change the company name on my invoice?",
                "I haven't received my fapiao",
                "VAT invoice for company",
            ),
        ),
        zh=Text(
            "如何开具发票",
            "签收后 3 个工作日内自动开具电子发票；可申请企业专票或更正抬头。",
            "签收后 3 个工作日内系统自动开具 **电子发票**，发送到订单邮箱。\n\n"
            "需要增值税专用发票或更正抬头，请提交申请并写明公司名称和税号。"
            "30 天内可以更正。",
            (
                "怎么开发票",
                "发票还没收到",
                "发票抬头开错了怎么改",
                "能开增值税专用发票吗",
                "要公司发票",
            ),
        ),
    ),
    DemoArticle(
        slug="delivery-time",
        category="delivery-delay",
        en=Text(
            "Delivery times and tracking your parcel",
            "Orders ship within 24 hours and arrive in 1–3 days in most cities; track them "
            "with your order number.",
            "Orders placed before 16:00 ship **the same day**; others the next morning. Most "
            "cities receive them in **1–3 days**, remote areas in up to 7.\n\n"
            "Check your order's status and tracking number under **Order lookup** with your "
            "order number and the phone or email on the order. If the tracking has not "
            "changed for 3 days, contact us and we will chase the courier.",
            (
                "Where is my order?",
                "When will my parcel arrive?",
                "My delivery is late",
                "how do I track my package",
                "order still not shipped",
                "tracking number not updating",
            ),
        ),
        zh=Text(
            "配送时效与物流查询",
            "订单 24 小时内发货，多数城市 1–3 天送达；凭订单号查询物流。",
            "16:00 前下单 **当天发货**，之后的次日上午发出。多数城市 **1–3 天** 送达，"
            "偏远地区最长 7 天。\n\n"
            "在 **订单查询** 中输入订单号和下单手机号或邮箱，即可查看状态和运单号。"
            "物流信息 3 天未更新，请联系我们催促快递。",
            (
                "我的订单到哪了",
                "快递什么时候到",
                "物流太慢了",
                "怎么查快递",
                "订单还没发货",
                "物流信息一直不更新",
            ),
        ),
    ),
    DemoArticle(
        slug="change-or-cancel-order",
        category="order-change",
        en=Text(
            "Changing or cancelling an order",
            "An order can be changed or cancelled free of charge until it ships.",
            "Until your order ships you can **change the address or cancel it** free of "
            "charge: submit a request with the order number, or tell the bot in chat.\n\n"
            "After it has shipped, refuse the delivery or return it within 7 days.",
            (
                "How do I cancel my order?",
                "I want to change the delivery address",
                "cancel order before shipping",
                "I ordered the wrong model, can I change it?",
            ),
        ),
        zh=Text(
            "修改或取消订单",
            "发货前可免费修改或取消订单。",
            "订单发货前可免费 **修改地址或取消订单**：提交申请并写明订单号即可。\n\n"
            "已发货的订单可拒收，或签收后 7 天内申请退货。",
            (
                "怎么取消订单",
                "我想改收货地址",
                "还没发货能取消吗",
                "下错型号了能改吗",
            ),
        ),
    ),
    DemoArticle(
        slug="battery-drains-fast",
        category="battery",
        en=Text(
            "Battery drains quickly",
            "Most fast drain comes from always-on display, heart-rate monitoring or old "
            "firmware; here is how to check.",
            "If your S3 smartwatch or P20 earbuds lose charge much faster than usual:\n\n"
            "1. Update to the latest firmware in the app (*Device → Firmware*).\n"
            "2. Turn off the always-on display and continuous heart-rate monitoring.\n"
            "3. Fully charge, then restart the device.\n\n"
            "A battery that **swells, gets hot or smells** is a safety risk: stop using it "
            "and contact us at once — we replace it free of charge.",
            (
                "My watch battery drains very fast",
                "battery doesn't last a day",
                "the earbuds lose charge quickly",
                "battery life is bad after the update",
                "battery is swollen",
            ),
        ),
        zh=Text(
            "电池耗电快怎么办",
            "耗电快多由常亮屏、心率监测或旧固件引起，按以下步骤排查。",
            "S3 智能手表或 P20 耳机耗电明显变快时：\n\n"
            "1. 在 App 中升级到最新固件（*设备 → 固件升级*）。\n"
            "2. 关闭息屏显示和连续心率监测。\n"
            "3. 充满电后重启设备。\n\n"
            "电池 **鼓包、发烫或有异味** 有安全风险：请立即停止使用并联系我们，免费更换。",
            (
                "手表很耗电",
                "电池用不了一天",
                "耳机掉电特别快",
                "升级后续航变差",
                "电池鼓包了",
            ),
        ),
    ),
    DemoArticle(
        slug="wont-charge",
        category="charging",
        en=Text(
            "The device won't charge",
            "Clean the charging contacts, try another adapter and cable, and reset the device.",
            "1. Clean the charging contacts with a dry cloth; dirt and sweat stop charging.\n"
            "2. Use the original cable and a 5 V adapter; try another socket.\n"
            "3. Leave it on the charger for 30 minutes — a fully empty battery shows nothing "
            "at first.\n"
            "4. Hold the button for 15 seconds to reset.\n\n"
            "Still not charging? Submit a repair request; it is covered by the warranty.",
            (
                "My watch won't charge",
                "the charger is not working",
                "device not charging at all",
                "earbuds case does not charge",
                "charging port problem",
            ),
        ),
        zh=Text(
            "设备无法充电",
            "清洁充电触点，换充电头和线，再重启设备。",
            "1. 用干布擦净充电触点，污渍和汗渍会导致无法充电。\n"
            "2. 使用原装线和 5V 充电头，换一个插座试试。\n"
            "3. 在充电器上放置 30 分钟——电量完全耗尽时开始不显示。\n"
            "4. 长按按键 15 秒重启。\n\n"
            "仍无法充电请提交维修申请，保修期内免费。",
            (
                "手表充不进电",
                "充电器没反应",
                "设备完全不能充电",
                "耳机仓充不了电",
                "充电口有问题",
            ),
        ),
    ),
    DemoArticle(
        slug="robot-vacuum-setup",
        category="setup",
        en=Text(
            "Setting up the X1 robot vacuum",
            "Charge it on the dock, add it in the app over 2.4 GHz Wi-Fi, then map your home.",
            "1. Place the dock against a wall with 0.5 m free on each side, and let the X1 "
            "charge fully.\n"
            "2. In the app tap **+ Add device** and choose X1; connect to a **2.4 GHz** Wi-Fi "
            "network (5 GHz is not supported).\n"
            "3. Start the first clean: the X1 maps your home and you can then set no-go "
            "zones.",
            (
                "How do I set up the robot vacuum?",
                "first time use of X1",
                "how to install the dock",
                "robot vacuum can't connect to wifi",
                "how to map my home",
            ),
        ),
        zh=Text(
            "X1 扫地机器人首次设置",
            "放好充电座充满电，在 App 中连接 2.4GHz Wi-Fi 添加设备，再建图。",
            "1. 充电座靠墙放置，两侧各留 0.5 米空间，让 X1 充满电。\n"
            "2. 在 App 中点击 **+ 添加设备** 选择 X1，连接 **2.4GHz** Wi-Fi"
            "（不支持 5GHz）。\n"
            "3. 开始第一次清扫：X1 会自动建图，之后可设置禁区。",
            (
                "扫地机器人怎么设置",
                "X1 第一次怎么用",
                "充电座怎么放",
                "扫地机连不上wifi",
                "怎么建图",
            ),
        ),
    ),
    DemoArticle(
        slug="bluetooth-pairing",
        category="app-pairing",
        en=Text(
            "Pairing earbuds and watches over Bluetooth",
            "Put the device in pairing mode, remove old pairings, and pair from the app.",
            "1. Open the case (P20) or hold the button for 3 seconds (S3) until the light "
            "flashes blue.\n"
            "2. On your phone, forget any old pairing of the device.\n"
            "3. Pair from the app (*+ Add device*), not from the phone's Bluetooth settings, "
            "so health data and updates work.",
            (
                "How do I pair my earbuds?",
                "the watch won't connect to my phone",
                "bluetooth pairing failed",
                "earbuds not showing in bluetooth",
                "how to connect P20 to iPhone",
            ),
        ),
        zh=Text(
            "耳机和手表蓝牙配对",
            "进入配对模式，删除旧的配对记录，再从 App 中配对。",
            "1. 打开充电仓（P20）或长按按键 3 秒（S3），直到指示灯蓝色闪烁。\n"
            "2. 在手机上忽略该设备的旧配对记录。\n"
            "3. 在 App 中配对（*+ 添加设备*），不要在手机蓝牙设置里直接连，"
            "这样健康数据和升级才正常。",
            (
                "耳机怎么配对",
                "手表连不上手机",
                "蓝牙配对失败",
                "蓝牙里搜不到耳机",
                "P20 怎么连苹果手机",
            ),
        ),
    ),
    DemoArticle(
        slug="reset-password",
        category="account-login",
        en=Text(
            "Resetting your password or login code",
            'Use "Forgot password" in the app; verification codes arrive within a minute.',
            "In the app tap **Sign in → Forgot password** and enter your phone number or "
            "email. A verification code arrives within a minute; it is valid for 10 "
            "minutes.\n\nNo code? Check spam, wait 60 seconds and request a new one. After 5 "
            "wrong tries the account is locked for 30 minutes.",
            (
                "I forgot my password",
                "I didn't get the verification code",
                "can't log in to the app",
                "account locked",
                "how to reset my password",
            ),
        ),
        zh=Text(
            "重置密码与验证码问题",
            "在 App 中点“忘记密码”；验证码一分钟内送达。",
            "在 App 中点击 **登录 → 忘记密码**，输入手机号或邮箱，一分钟内收到验证码，"
            "10 分钟内有效。\n\n收不到验证码？请检查垃圾短信，60 秒后重新获取。"
            "连续输错 5 次，账号锁定 30 分钟。",
            (
                "忘记密码了",
                "收不到验证码",
                "App 登录不上",
                "账号被锁了",
                "怎么重置密码",
            ),
        ),
    ),
    DemoArticle(
        slug="firmware-update",
        category="firmware-update",
        en=Text(
            "Updating the firmware",
            "Keep the device charged above 30 % and near the phone; updates take 5–10 minutes.",
            "Open the app, go to **Device → Firmware** and tap *Update*. Keep the device on "
            "charge or above 30 %, and near your phone, for 5–10 minutes. If the update "
            "stops, restart both and try again; the device keeps working on the old version.",
            (
                "How do I update the firmware?",
                "firmware update failed",
                "update stuck at 50 percent",
                "is there a new software version",
            ),
        ),
        zh=Text(
            "固件升级",
            "保持电量 30% 以上并靠近手机，升级约需 5–10 分钟。",
            "打开 App，进入 **设备 → 固件升级**，点击 *升级*。升级期间请保持设备电量在 "
            "30% 以上并靠近手机，约 5–10 分钟。升级中断时重启手机和设备后重试，"
            "设备仍可使用旧版本。",
            (
                "固件怎么升级",
                "升级失败",
                "升级卡在百分之五十",
                "有没有新版本",
            ),
        ),
    ),
    DemoArticle(
        slug="payment-failed",
        category="payment-failed",
        en=Text(
            "Payment failed or charged twice",
            "A failed payment is never taken; a double charge is refunded automatically "
            "within 24 hours.",
            "If the payment page shows an error, **no money is taken** — try again or use "
            "another method.\n\nIf you were charged twice for one order, the second charge "
            "is refunded automatically within 24 hours. Still there after that? Send us both "
            "transaction numbers.",
            (
                "my payment failed",
                "I was charged twice",
                "double charge on my card",
                "payment error at checkout",
            ),
        ),
        zh=Text(
            "支付失败或重复扣款",
            "支付失败不会扣款；重复扣款 24 小时内自动退回。",
            "支付页面报错时 **不会扣款**，请重试或换一种支付方式。\n\n"
            "同一订单被扣了两次款，多扣的金额 24 小时内自动退回。超过 24 小时仍未退回，"
            "请把两笔交易单号发给我们。",
            (
                "支付失败",
                "扣了两次钱",
                "重复扣款",
                "付款的时候报错",
            ),
        ),
    ),
    DemoArticle(
        slug="complaint-handling-script",
        category="rude-agent",
        internal=True,
        en=Text(
            "Handling a complaint: the service script",
            "Agents only: apologise, restate, own the next step with a time, and follow up.",
            "1. **Apologise** for the experience, without blaming.\n"
            "2. **Restate** the problem in the customer's words.\n"
            "3. **Own** the next step and say when the customer will hear back.\n"
            "4. **Follow up** before that time, even without news.\n\n"
            "Never promise compensation above your level; escalate to the team lead.",
            (),
        ),
        zh=Text(
            "投诉处理话术",
            "仅限客服：致歉、复述、承诺下一步和时间、按时回访。",
            "1. **致歉**：为客户的经历道歉，不推诿。\n"
            "2. **复述**：用客户的话复述问题。\n"
            "3. **承诺**：说明下一步和回复时间。\n"
            "4. **回访**：在承诺时间前回访，即使没有新进展。\n\n"
            "超出权限的补偿不要承诺，升级给组长。",
            (),
        ),
    ),
)


def install_demo_knowledge() -> int:
    """Publish the demo articles (English, with the Chinese as its translation), link each
    pair's neighbours as related, add the synonyms and train the FAQ bot; return how many
    articles were written."""
    from closeloop.knowledge.bot.store import matcher_train
    from closeloop.knowledge.models import Article, ArticleStatus, Language, Visibility
    from closeloop.knowledge.services import article_create, synonym_group_save
    from closeloop.triage.models import Category

    categories = {
        c.code: c for c in Category.objects.filter(code__in=[a.category for a in ARTICLES])
    }
    written: list[list[Article]] = []
    for demo in ARTICLES:
        visibility = Visibility.INTERNAL if demo.internal else Visibility.PUBLIC
        pair: list[Article] = []
        for language, text, slug in (
            (Language.EN, demo.en, demo.slug),
            (Language.ZH, demo.zh, f"{demo.slug}-zh"),
        ):
            pair.append(
                article_create(
                    actor=None,
                    title=text.title,
                    summary=text.summary,
                    body=text.body,
                    questions="\n".join(text.questions),
                    language=language,
                    category=categories.get(demo.category),
                    visibility=visibility,
                    status=ArticleStatus.PUBLISHED,
                    slug=slug,
                    translation_of=pair[0] if pair else None,
                )
            )
        written.append(pair)
    # Related: articles of the same after-sales journey point at each other.
    journeys = (
        ("return-policy", "refund-time", "exchange-faulty-product"),
        ("warranty-repair", "exchange-faulty-product"),
        ("battery-drains-fast", "wont-charge"),
        ("bluetooth-pairing", "firmware-update"),
        ("delivery-time", "change-or-cancel-order"),
    )
    by_slug = {pair[0].slug: pair for pair in written}
    for journey in journeys:
        for slug in journey:
            for position in (0, 1):
                article = by_slug[slug][position]
                article.related.add(*(by_slug[o][position] for o in journey if o != slug))
    for terms in SYNONYMS:
        synonym_group_save(actor=None, terms=terms)
    matcher_train(force=True)
    return sum(len(pair) for pair in written)


MACROS = (
    (
        "Greeting",
        "Hello {customer_name}, thank you for contacting us. I'm {agent_name} and I'll take care "
        "of ticket {ticket_number}.",
        "{customer_name}您好，感谢您的联系。我是{agent_name}，工单 {ticket_number} 由我为您处理。",
    ),
    (
        "Return approved",
        "Hello {customer_name}, your return for order {order_number} is approved. A courier will "
        "collect the parcel within 2 working days; the refund starts once the warehouse checks "
        "it.",
        "{customer_name}您好，订单 {order_number} 的退货申请已通过。快递将在 2 个工作日内上门取件，"
        "仓库验收后立即为您退款。",
    ),
    (
        "Waiting for details",
        "Hello {customer_name}, to go on we need a photo of the fault and your order number. "
        "Please reply to this message with them.",
        "{customer_name}您好，为了继续处理，请回复本消息并提供故障照片和订单号。",
    ),
)


def install_demo_macros() -> int:
    """The demo team's canned replies, in English and Chinese; return how many."""
    from closeloop.core import clock
    from closeloop.workspace.models import Macro

    now = clock.now()
    Macro.objects.bulk_create(
        Macro(name=name, body_en=en, body_zh=zh, created_at=now, updated_at=now)
        for name, en, zh in MACROS
    )
    return len(MACROS)
