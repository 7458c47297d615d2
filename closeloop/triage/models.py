"""The problem taxonomy, tags, the classifier's versions and each ticket's triage decision."""

from __future__ import annotations

import threading
import time

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from closeloop.people.models import SKILL_LEVEL_MAX, SKILL_LEVEL_MIN
from closeloop.tickets.models import Kind, Priority

# Family → group → problem type; deeper trees are refused (reports and the admin list assume it).
MAX_CATEGORY_DEPTH = 3


class Family(models.TextChoices):
    """The three top-level families of problems (DESIGN.md, "taxonomy")."""

    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")
    PROCESS = "process", _("Process")


def is_chinese(language: str) -> bool:
    """True for zh, zh-hans, zh-CN, zh_Hant …"""
    return language.lower().startswith("zh")


class Category(models.Model):
    """A node of the problem tree: a family, a group, or a problem type (a leaf)."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.SlugField(_("code"), max_length=80, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    # Stored on every node (the same as its root's) so reports filter without walking the tree.
    family = models.CharField(_("family"), max_length=10, choices=Family.choices)
    default_kind = models.CharField(
        _("default kind"), max_length=20, choices=Kind.choices, blank=True
    )
    default_priority = models.CharField(
        _("default priority"), max_length=10, choices=Priority.choices, blank=True
    )
    team = models.ForeignKey(
        "people.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="categories",
    )
    sla_policy = models.ForeignKey(
        "sla.SlaPolicy",
        verbose_name=_("SLA policy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="categories",
    )
    required_skills = models.ManyToManyField(
        "people.Skill",
        through="CategorySkill",
        related_name="categories",
        blank=True,
        verbose_name=_("required skills"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(family__in=[family.value for family in Family]),
                name="category_family_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_en} / {self.name_zh}"

    def display_name(self, language: str) -> str:
        """The Chinese name for a Chinese language code, the English one otherwise."""
        return self.name_zh if is_chinese(language) else self.name_en

    def ancestors(self) -> list[Category]:
        """Parent, grandparent … up to the root (nearest first)."""
        chain: list[Category] = []
        node = self.parent
        while node is not None:
            if node.pk == self.pk or node in chain:
                raise ValidationError({"parent": _("A category cannot be its own ancestor.")})
            chain.append(node)
            node = node.parent
        return chain

    def clean(self) -> None:
        """Refuse cycles, trees deeper than three levels, and a family unlike the parent's."""
        ancestors = self.ancestors()
        if len(ancestors) >= MAX_CATEGORY_DEPTH:
            raise ValidationError(
                {"parent": _("Categories go three levels deep: family, group, problem type.")}
            )
        if self.parent is not None and self.parent.family != self.family:
            raise ValidationError({"family": _("A category belongs to its parent's family.")})


class CategorySkill(models.Model):
    """A skill a category needs, and the lowest level that will do."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="skill_needs")
    skill = models.ForeignKey("people.Skill", on_delete=models.CASCADE, related_name="+")
    min_level = models.PositiveSmallIntegerField(_("minimum level"), default=1)

    class Meta:
        verbose_name = _("required skill")
        verbose_name_plural = _("required skills")
        constraints = [
            models.UniqueConstraint(fields=["category", "skill"], name="category_skill_unique"),
            models.CheckConstraint(
                condition=models.Q(min_level__gte=SKILL_LEVEL_MIN, min_level__lte=SKILL_LEVEL_MAX),
                name="category_skill_level_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category.code} needs {self.skill.code} ≥ {self.min_level}"


class Tag(models.Model):
    """A free label from the tag library ("product fault – battery"); names ignore case."""

    name = models.CharField(_("name"), max_length=60)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tags",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="tag_unique_name_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class TagSource(models.TextChoices):
    """Who put a tag on a ticket."""

    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")
    RULE = "rule", _("Rule")


class TicketTag(models.Model):
    """One tag on one ticket."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="tag_links", db_index=False
    )
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="ticket_links")
    added_by = models.CharField(_("added by"), max_length=10, choices=TagSource.choices)
    added_by_agent = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("ticket tag")
        verbose_name_plural = _("ticket tags")
        constraints = [
            # Also the index for "the tags of this ticket".
            models.UniqueConstraint(fields=["ticket", "tag"], name="ticket_tag_unique"),
        ]
        indexes = [models.Index(fields=["added_at"], name="ticket_tag_added")]

    def __str__(self) -> str:
        return f"{self.tag} on #{self.ticket_id}"


class ClassifierVersion(models.Model):
    """One trained text classifier: its model, labels and evaluation; at most one is active."""

    number = models.PositiveIntegerField(_("number"), unique=True)
    backend = models.CharField(_("backend"), max_length=50)
    created_at = models.DateTimeField(_("created at"))
    trained_by = models.CharField(_("trained by"), max_length=150, blank=True)
    examples_count = models.PositiveIntegerField(_("training examples"), default=0)
    labels = models.JSONField(_("labels"), default=list, help_text=_("Category codes."))
    # {"accuracy", "macro_f1", "per_label": {code: {precision, recall, f1, support}},
    #  "confusion_pairs": [[true, predicted, count], ...]}
    evaluation = models.JSONField(_("evaluation"), default=dict, blank=True)
    model = models.BinaryField(_("serialised model"))
    is_active = models.BooleanField(_("active"), default=False)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    # The version that was active when this one was last activated: rollback walks this chain.
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("classifier version")
        verbose_name_plural = _("classifier versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="classifier_version_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.number} ({self.backend})"


# Read on every classification, changed rarely: each process keeps a copy for a few seconds.
TRIAGE_SETTINGS_CACHE_SECONDS = 10.0
_settings_cache: dict[str, tuple[float, TriageSettings]] = {}
_settings_lock = threading.Lock()


class TriageSettings(models.Model):
    """The deployment's triage settings (one row)."""

    SINGLETON_ID = 1

    confidence_threshold = models.FloatField(
        _("confidence threshold"),
        default=0.5,
        help_text=_(
            "A ticket whose category the classifier is less sure of than this goes to the "
            "needs-triage list for a person to decide."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("triage settings")
        verbose_name_plural = _("triage settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="triage_settings_singleton"),
            models.CheckConstraint(
                condition=models.Q(confidence_threshold__gte=0, confidence_threshold__lte=1),
                name="triage_settings_threshold_0_1",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Triage settings"))

    @classmethod
    def current(cls) -> TriageSettings:
        """Return the settings row, creating it with defaults on first use."""
        row, _created = cls.objects.get_or_create(id=cls.SINGLETON_ID)
        return row

    @classmethod
    def cached(cls) -> TriageSettings:
        """Return the settings from this process's cache (read-only use)."""
        with _settings_lock:
            entry = _settings_cache.get("current")
            if entry is None or time.monotonic() - entry[0] > TRIAGE_SETTINGS_CACHE_SECONDS:
                entry = (time.monotonic(), cls.current())
                _settings_cache["current"] = entry
            return entry[1]

    @staticmethod
    def clear_cache() -> None:
        """Forget the cached settings (after a change, and between tests)."""
        with _settings_lock:
            _settings_cache.clear()


class TriageSource(models.TextChoices):
    """Who decided a ticket's category."""

    CLASSIFIER = "classifier", _("Classifier")
    AGENT = "agent", _("Agent")
    RULE = "rule", _("Rule")


class TicketTriage(models.Model):
    """A ticket's category decision: what, how sure, by which classifier, and whether a person
    still has to look at it."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="triage", primary_key=True
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="triages"
    )
    confidence = models.FloatField(_("confidence"), null=True, blank=True)
    classifier_version = models.PositiveIntegerField(_("classifier version"), null=True, blank=True)
    source = models.CharField(
        _("decided by"),
        max_length=10,
        choices=TriageSource.choices,
        default=TriageSource.CLASSIFIER,
    )
    needs_triage = models.BooleanField(_("needs triage"), default=False)
    decided_at = models.DateTimeField(_("decided at"))
    # What the decision rested on: threshold, alternatives, the correcting agent …
    reason = models.JSONField(_("reason"), default=dict, blank=True)

    class Meta:
        verbose_name = _("ticket triage")
        verbose_name_plural = _("ticket triage")
        indexes = [
            # Partial: the needs-triage list reads only the few undecided rows.
            models.Index(
                fields=["decided_at"],
                name="ticket_triage_needed",
                condition=models.Q(needs_triage=True),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id}: {self.category_id} ({self.confidence})"


class TriageCorrection(models.Model):
    """An agent changing (or confirming) a ticket's category; training data for the next
    classifier and the measure of its accuracy."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="triage_corrections"
    )
    from_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("triage correction")
        verbose_name_plural = _("triage corrections")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"], name="triage_correction_created")]

    def __str__(self) -> str:
        return f"#{self.ticket_id}: {self.from_category_id} → {self.to_category_id}"


class RoutingRule(models.Model):
    """An ordered routing rule: conditions on the ticket → team, agent, priority, tags.

    Empty conditions match anything; every given condition must hold. Rules apply in order
    and a later rule's value wins; ``stop`` ends the evaluation (``triage.routing``).
    """

    name = models.CharField(_("name"), max_length=120)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    categories = models.ManyToManyField(
        Category,
        verbose_name=_("categories"),
        blank=True,
        related_name="routing_rules",
        help_text=_("A category matches its problem types too."),
    )
    kinds = models.JSONField(_("kinds"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    segments = models.JSONField(_("segments"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    keywords = models.TextField(
        _("keywords"), blank=True, help_text=_("Any of these, comma or line separated.")
    )
    set_team = models.ForeignKey(
        "people.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_agent = models.ForeignKey(
        "people.Agent",
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, blank=True
    )
    add_tags = models.CharField(
        _("tags"), max_length=300, blank=True, help_text=_("Comma separated.")
    )
    stop = models.BooleanField(_("stop here"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class AgentRouting(models.Model):
    """What assignment needs about an agent beyond the people app: working hours and the
    round-robin position."""

    agent = models.OneToOneField(
        "people.Agent", on_delete=models.CASCADE, related_name="routing", primary_key=True
    )
    calendar = models.ForeignKey(
        "sla.Calendar",
        verbose_name=_("working hours"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: whenever the agent is online."),
    )
    last_assigned_at = models.DateTimeField(_("last assigned"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent routing")
        verbose_name_plural = _("agent routing")

    def __str__(self) -> str:
        return str(self.agent)
