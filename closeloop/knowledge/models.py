"""Help articles and their versions, synonyms, usage, searches that found nothing, the FAQ
bot's conversations, and every self-service success (DESIGN.md, "knowledge")."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    """The languages articles are written in."""

    EN = "en", _("English")
    ZH = "zh-hans", _("Simplified Chinese")


class ArticleStatus(models.TextChoices):
    """Where an article is in its life: only published articles are searched and answered."""

    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Visibility(models.TextChoices):
    """Who may read an article."""

    PUBLIC = "public", _("Public (customers and agents)")
    INTERNAL = "internal", _("Internal (agents only)")


class Article(models.Model):
    """A help article in one language, filed under a problem type of the taxonomy."""

    slug = models.SlugField(_("slug"), max_length=120, unique=True, allow_unicode=True)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.EN
    )
    # The same article in the other language (both point at the first one written).
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("translation of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translations",
    )
    category = models.ForeignKey(
        "triage.Category",
        verbose_name=_("problem type"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    body = models.TextField(_("body (Markdown)"))
    # The body rendered from Markdown and sanitised (nh3); written with the body, never by hand.
    body_html = models.TextField(_("body (HTML)"), blank=True, editable=False)
    # How customers ask for this, one phrasing a line: what the FAQ bot learns to recognise.
    questions = models.TextField(_("example questions"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    related = models.ManyToManyField("self", verbose_name=_("related articles"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Counters kept with the usage rows (ArticleUse), for lists that sort by them.
    view_count = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    unhelpful_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["title", "id"]
        indexes = [
            models.Index(fields=["status", "visibility", "language"], name="article_listing"),
            models.Index(fields=["category", "status"], name="article_category_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in ArticleStatus]),
                name="article_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(visibility__in=[v.value for v in Visibility]),
                name="article_visibility_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        """Customers may read it: published and public."""
        return self.status == ArticleStatus.PUBLISHED and self.visibility == Visibility.PUBLIC

    @property
    def question_list(self) -> list[str]:
        """The example questions, one per non-empty line."""
        return [line.strip() for line in self.questions.splitlines() if line.strip()]


class ArticleVersion(models.Model):
    """An article as it was saved once: who changed what, and when (append-only)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    body = models.TextField(_("body (Markdown)"))
    questions = models.TextField(_("example questions"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices)
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices)
    category_code = models.CharField(_("problem type"), max_length=80, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Which fields this version changed against the one before it.
    changed_fields = models.JSONField(default=list, blank=True)
    note = models.CharField(_("change note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "number"], name="article_version_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class SynonymGroup(models.Model):
    """Words the team says mean the same thing in a search ("退款, refund, money back")."""

    terms = models.TextField(
        _("terms"), help_text=_("Words or phrases that mean the same, separated by commas.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")

    def __str__(self) -> str:
        return self.terms[:80]

    @property
    def term_list(self) -> list[str]:
        """The terms, split on ASCII and full-width commas and semicolons."""
        separators = str.maketrans({"，": ",", "；": ",", ";": ",", "、": ",", "\n": ","})
        return [t.strip() for t in self.terms.translate(separators).split(",") if t.strip()]


class UseKind(models.TextChoices):
    """What happened with an article."""

    LINKED = "linked", _("Linked to a ticket")
    INSERTED = "inserted", _("Inserted into a reply")
    VIEWED = "viewed", _("Viewed")
    HELPFUL = "helpful", _("Voted helpful")
    UNHELPFUL = "unhelpful", _("Voted not helpful")
    BOT_ANSWERED = "bot_answered", _("Answered by the bot")


class ArticleUse(models.Model):
    """One use of an article: an agent linking or inserting it, a customer viewing or voting,
    the bot answering with it. Knowledge use on tickets is counted from these rows."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="uses")
    kind = models.CharField(_("kind"), max_length=20, choices=UseKind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="article_uses",
        db_index=False,  # partial index below
    )
    agent = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    # An anonymous reader's session, so one reader's repeated votes count once.
    session_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("article use")
        verbose_name_plural = _("article uses")
        indexes = [
            models.Index(fields=["article", "kind", "created_at"], name="article_use_article"),
            models.Index(fields=["kind", "created_at"], name="article_use_kind"),
            models.Index(
                fields=["ticket"],
                name="article_use_ticket",
                condition=models.Q(ticket__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.article_id}"


class SearchMiss(models.Model):
    """A search that found nothing, counted per normalised query: the team's to-write list."""

    normalized_query = models.CharField(max_length=200, unique=True)
    query = models.CharField(_("query"), max_length=200)  # the latest wording seen
    audience = models.CharField(_("searched by"), max_length=10)  # "customer", "agent", "bot"
    count = models.PositiveIntegerField(_("times"), default=1)
    first_at = models.DateTimeField(_("first seen"))
    last_at = models.DateTimeField(_("last seen"))
    is_resolved = models.BooleanField(
        _("dealt with"), default=False, help_text=_("An article now answers it.")
    )

    class Meta:
        verbose_name = _("search without result")
        verbose_name_plural = _("searches without result")
        indexes = [models.Index(fields=["is_resolved", "-count"], name="search_miss_open")]

    def __str__(self) -> str:
        return self.query


class BotOutcome(models.TextChoices):
    """How a bot conversation ended (bot share = resolved ÷ all ended)."""

    ACTIVE = "active", _("In progress")
    RESOLVED = "resolved", _("Resolved by the bot")
    HANDED_OFF = "handed_off", _("Handed off to a person")
    ABANDONED = "abandoned", _("Abandoned")


class BotConversation(models.Model):
    """One conversation the FAQ bot took part in, on any channel, and how it ended.

    On ticket channels (chat, WeChat, app) the ticket's messages are the transcript; on the
    portal, where a ticket exists only after a hand-off, ``transcript`` keeps the turns.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bot_conversations",
        db_index=False,  # partial index below
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=20)
    language = models.CharField(_("language"), max_length=10, default=Language.EN)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=BotOutcome.choices, default=BotOutcome.ACTIVE
    )
    # The customer said the answer helped (True), did not help (False), or said nothing.
    is_confirmed = models.BooleanField(_("confirmed by the customer"), null=True, blank=True)
    answered_article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The articles offered last (ids, best first) and the customer's pending choice, if any.
    offered = models.JSONField(default=list, blank=True)
    transcript = models.JSONField(default=list, blank=True)
    turns = models.PositiveIntegerField(default=0)
    handoff_reason = models.CharField(_("hand-off reason"), max_length=40, blank=True)
    # A portal visitor's conversation is found again by this key (their session).
    session_key = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(_("started at"))
    last_activity_at = models.DateTimeField(_("last activity"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bot conversation")
        verbose_name_plural = _("bot conversations")
        indexes = [
            models.Index(
                fields=["ticket"],
                name="bot_conversation_ticket",
                condition=models.Q(ticket__isnull=False),
            ),
            models.Index(fields=["outcome", "last_activity_at"], name="bot_conversation_sweep"),
            models.Index(fields=["started_at"], name="bot_conversation_started"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=[o.value for o in BotOutcome]),
                name="bot_conversation_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"bot {self.channel} {self.outcome}"


class SelfServiceKind(models.TextChoices):
    """A customer got what they came for without an agent."""

    ARTICLE_HELPFUL = "article_helpful", _("Article helped")
    BOT_RESOLVED = "bot_resolved", _("Bot answered")
    ORDER_LOOKUP = "order_lookup", _("Order looked up")
    TICKET_STATUS = "ticket_status", _("Request followed up")


class SelfServiceSuccess(models.Model):
    """One self-service success; self-service share = these ÷ (these + tickets opened)."""

    kind = models.CharField(_("kind"), max_length=20, choices=SelfServiceKind.choices)
    channel = models.CharField(_("channel"), max_length=20)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reference = models.CharField(_("reference"), max_length=100, blank=True)  # an order number
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("self-service success")
        verbose_name_plural = _("self-service successes")
        indexes = [models.Index(fields=["created_at", "kind"], name="self_service_created")]

    def __str__(self) -> str:
        return self.kind


class BotSettings(models.Model):
    """The FAQ bot's settings (one row)."""

    SINGLETON_ID: ClassVar[int] = 1

    is_enabled = models.BooleanField(_("enabled"), default=True)
    channels = models.JSONField(
        _("channels"),
        default=list,
        blank=True,
        help_text=_("Channels the bot answers on: chat, wechat, app, portal. Empty: all four."),
    )
    answer_threshold = models.FloatField(
        _("answer threshold"),
        default=0.6,
        help_text=_("The bot answers when it is at least this sure of the best article."),
    )
    choices_threshold = models.FloatField(
        _("choices threshold"),
        default=0.25,
        help_text=_(
            "Between this and the answer threshold it offers its top choices; below, "
            "it hands the conversation to a person."
        ),
    )
    max_choices = models.PositiveSmallIntegerField(_("choices offered"), default=3)
    idle_minutes = models.PositiveIntegerField(
        _("idle minutes"),
        default=30,
        help_text=_(
            "A conversation quiet this long ends: resolved after an answer, abandoned otherwise."
        ),
    )
    # Optional generative phrasing through an OpenAI-compatible endpoint (off by default).
    generative_enabled = models.BooleanField(_("generative answers"), default=False)
    generative_url = models.URLField(_("model endpoint"), blank=True)
    generative_model = models.CharField(_("model name"), max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bot settings")
        verbose_name_plural = _("bot settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="bot_settings_singleton"),
            models.CheckConstraint(
                condition=models.Q(
                    answer_threshold__gte=0,
                    answer_threshold__lte=1,
                    choices_threshold__gte=0,
                    choices_threshold__lte=models.F("answer_threshold"),
                ),
                name="bot_settings_thresholds",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Bot settings"))


class FaqModel(models.Model):
    """The bot's question matcher, trained on the published public articles' titles and
    example questions; the newest row whose ``fingerprint`` matches the articles is used."""

    # A digest of the articles (ids, versions) it was trained on: a change means retraining.
    fingerprint = models.CharField(max_length=64)
    article_count = models.PositiveIntegerField(default=0)
    example_count = models.PositiveIntegerField(default=0)
    model = models.BinaryField()
    evaluation = models.JSONField(default=dict, blank=True)
    trained_at = models.DateTimeField(_("trained at"))
    seconds = models.FloatField(_("training seconds"), default=0)

    class Meta:
        verbose_name = _("FAQ matcher")
        verbose_name_plural = _("FAQ matchers")
        indexes = [models.Index(fields=["-trained_at"], name="faq_model_latest")]

    def __str__(self) -> str:
        return f"FAQ matcher {self.trained_at:%Y-%m-%d %H:%M}"
