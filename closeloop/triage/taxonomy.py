"""Reading the problem taxonomy: the tree, its leaves (the problem types tickets are filed
under), and a category by code."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from closeloop.core.errors import InvalidInput
from closeloop.triage.models import Category, CategorySkill


@dataclass
class CategoryNode:
    """A category with its children, named in one language."""

    category: Category
    name: str
    required_skills: list[tuple[str, int]] = field(default_factory=list)
    children: list[CategoryNode] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        """A problem type: nothing below it."""
        return not self.children


def category_tree(*, language: str = "en", include_inactive: bool = False) -> list[CategoryNode]:
    """The whole tree in three queries, families first, each level in its admin order.

    An inactive category hides its subtree unless ``include_inactive``.
    """
    categories = Category.objects.order_by("order", "code")
    if not include_inactive:
        categories = categories.filter(is_active=True)
    skills: dict[int, list[tuple[str, int]]] = {}
    for need in CategorySkill.objects.select_related("skill").order_by("skill__code"):
        skills.setdefault(need.category_id, []).append((need.skill.code, need.min_level))
    nodes = {
        category.pk: CategoryNode(
            category=category,
            name=category.display_name(language),
            required_skills=skills.get(category.pk, []),
        )
        for category in categories
    }
    roots: list[CategoryNode] = []
    for node in nodes.values():
        parent_id = node.category.parent_id
        if parent_id is None:
            roots.append(node)
        elif parent_id in nodes:
            nodes[parent_id].children.append(node)
    return roots


def leaf_categories(*, include_inactive: bool = False) -> QuerySet[Category]:
    """The problem types: categories without children (active ones, unless asked)."""
    children = Category.objects.filter(parent=OuterRef("pk"))
    if not include_inactive:
        children = children.filter(is_active=True)
    leaves = Category.objects.filter(~Exists(children))
    if not include_inactive:
        # An active leaf under an inactive parent is hidden with its parent.
        leaves = leaves.filter(is_active=True).exclude(parent__is_active=False)
        leaves = leaves.exclude(parent__parent__is_active=False)
    return leaves.order_by("family", "order", "code")


def category_by_code(code: str, *, field: str = "category", leaf_only: bool = False) -> Category:
    """An active category by its code; InvalidInput (naming ``field``) when there is none."""
    candidates = leaf_categories() if leaf_only else Category.objects.filter(is_active=True)
    category = candidates.filter(code=code).first()
    if category is None:
        message = (
            _("%(code)s is not an active problem type.")
            if leaf_only
            else _("%(code)s is not an active category.")
        )
        raise InvalidInput(message % {"code": code}, details={"field": field})
    return category
