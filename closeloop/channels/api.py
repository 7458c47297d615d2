"""/api/v1/channels/…: the endpoints channels and integrations call (email webhook, WeChat
server address, app and phone integrations). Each authenticates on its own terms (a signature,
a secret), not with an agent's token."""

from ninja import Router

from closeloop.channels.app.api import router as app_router
from closeloop.channels.email.api import router as email_router
from closeloop.channels.phone.api import router as phone_router
from closeloop.channels.wechat.api import router as wechat_router

router = Router()
router.add_router("/email", email_router)
router.add_router("/wechat", wechat_router)
router.add_router("/app", app_router)
router.add_router("/phone", phone_router)
