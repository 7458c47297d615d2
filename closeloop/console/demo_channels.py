"""The demo's channel set-up: a chat widget on a sample page, a support mailbox, a WeChat
account, an app and a call centre with known keys, so every channel can be tried at once.

The keys and secrets here are for the demo only (it refuses to load into a database in use).
"""

from __future__ import annotations

from dataclasses import dataclass

from closeloop.channels.models import (
    ChatWidget,
    Integration,
    IntegrationKind,
    Mailbox,
    WeChatAccount,
)

DEMO_WIDGET_KEY = "demo-widget"
DEMO_MAILBOX = "support@closeloop.example"
DEMO_APP_KEY = "ck_demo_app"
DEMO_APP_SECRET = "demo-app-secret"  # noqa: S105 - demo data, printed to the user
DEMO_PHONE_KEY = "ck_demo_phone"
DEMO_PHONE_SECRET = "demo-phone-secret"  # noqa: S105
DEMO_WECHAT_APP_ID = "wxdemo0000000001"
DEMO_WECHAT_TOKEN = "demo-token"  # noqa: S105


@dataclass(frozen=True)
class DemoChannels:
    widget: ChatWidget
    mailbox: Mailbox
    app: Integration
    phone: Integration
    wechat: WeChatAccount


def install_demo_channels() -> DemoChannels:
    """Create the demo's channel configuration (idempotent)."""
    widget, _ = ChatWidget.objects.get_or_create(
        key=DEMO_WIDGET_KEY,
        defaults={
            "name": "Website",
            "greeting": "Hi! Ask us anything about your order. 你好，有什么可以帮您？",
        },
    )
    mailbox, _ = Mailbox.objects.get_or_create(
        address=DEMO_MAILBOX, defaults={"name": "Closeloop Support", "is_default": True}
    )
    app, _ = Integration.objects.get_or_create(
        key=DEMO_APP_KEY,
        defaults={"kind": IntegrationKind.APP, "name": "Shop app", "secret": DEMO_APP_SECRET},
    )
    phone, _ = Integration.objects.get_or_create(
        key=DEMO_PHONE_KEY,
        defaults={
            "kind": IntegrationKind.PHONE,
            "name": "Call centre",
            "secret": DEMO_PHONE_SECRET,
        },
    )
    wechat, _ = WeChatAccount.objects.get_or_create(
        app_id=DEMO_WECHAT_APP_ID,
        defaults={
            "name": "Closeloop 服务号",
            "app_secret": "demo-app-secret",
            "token": DEMO_WECHAT_TOKEN,
            "original_id": "gh_closeloopdemo",
        },
    )
    return DemoChannels(widget, mailbox, app, phone, wechat)
