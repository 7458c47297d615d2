"""The default taxonomy, the tree and its rules."""

import pytest
from django.core.exceptions import ValidationError

from closeloop.people.models import Skill
from closeloop.triage.defaults import SKILLS, TAXONOMY, install_defaults, iter_taxonomy
from closeloop.triage.models import Category, CategorySkill, Family, Tag
from closeloop.triage.taxonomy import category_by_code, category_tree, leaf_categories

pytestmark = pytest.mark.django_db


def _install() -> None:
    install_defaults(Skill, Category, CategorySkill, Tag)


def test_default_taxonomy_has_three_families_and_30_to_50_leaves_named_in_both_languages():
    families = Category.objects.filter(parent__isnull=True)
    assert sorted(families.values_list("code", flat=True)) == ["process", "product", "service"]
    leaves = list(leaf_categories())
    assert 30 <= len(leaves) <= 50
    for leaf in leaves:
        assert leaf.name_en, leaf.code
        assert leaf.name_zh, leaf.code
        assert leaf.name_en != leaf.name_zh
        assert leaf.default_kind, leaf.code
        assert leaf.default_priority, leaf.code
        assert leaf.parent is not None
        assert leaf.parent.parent is not None
        assert leaf.family == leaf.parent.parent.code


def test_default_groups_refine_the_families():
    groups = {
        family: set(Category.objects.filter(parent__code=family).values_list("code", flat=True))
        for family in Family.values
    }
    assert groups["product"] == {"product-quality", "product-function"}
    assert groups["service"] == {"service-response", "service-attitude"}
    assert {"process-application", "process-approval", "process-after-sales"} <= groups["process"]


def test_every_default_leaf_needs_at_least_one_default_skill():
    leaves = leaf_categories()
    skill_codes = {code for code, _en, _zh in SKILLS}
    for leaf in leaves:
        needs = list(CategorySkill.objects.filter(category=leaf).select_related("skill"))
        assert needs, leaf.code
        assert {need.skill.code for need in needs} <= skill_codes
        assert all(1 <= need.min_level <= 5 for need in needs)


def test_install_again_adds_only_missing_codes_and_keeps_edits():
    battery = Category.objects.get(code="battery")
    battery.name_en = "Battery (edited)"
    battery.is_active = False
    battery.save()
    Category.objects.get(code="coupon").delete()
    count = Category.objects.count()

    _install()

    assert Category.objects.count() == count + 1
    battery.refresh_from_db()
    assert (battery.name_en, battery.is_active) == ("Battery (edited)", False)
    coupon = Category.objects.get(code="coupon")
    assert coupon.parent.code == "process-payment"
    assert list(coupon.required_skills.values_list("code", flat=True)) == ["payments"]


def test_iter_taxonomy_lists_parents_before_children_with_unique_codes():
    rows = iter_taxonomy()
    codes = [node.code for node, _parent, _family, _order in rows]
    assert len(codes) == len(set(codes))
    seen: set[str] = set()
    for node, parent, family, _order in rows:
        assert parent is None or parent in seen
        assert family in Family.values
        seen.add(node.code)
    assert len(TAXONOMY) == 3


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", "电池问题：耗电快、鼓包、不蓄电"),
        ("zh", "电池问题：耗电快、鼓包、不蓄电"),
        ("en", "Battery: drain, swelling, not holding charge"),
        ("fr", "Battery: drain, swelling, not holding charge"),
    ],
)
def test_display_name_picks_the_language(language, expected):
    assert Category.objects.get(code="battery").display_name(language) == expected


def test_tree_in_chinese_nests_leaves_under_groups():
    tree = category_tree(language="zh-hans")
    assert [node.category.code for node in tree] == ["product", "service", "process"]
    product = tree[0]
    assert product.name == "产品"
    quality = product.children[0]
    assert quality.category.code == "product-quality"
    assert [leaf.category.code for leaf in quality.children][:3] == [
        "battery",
        "screen",
        "overheating",
    ]
    assert quality.children[0].required_skills == [("battery", 2)]
    assert quality.children[0].is_leaf
    assert not quality.is_leaf


def test_inactive_category_hides_its_subtree():
    Category.objects.filter(code="product-quality").update(is_active=False)
    product = category_tree()[0]
    assert [node.category.code for node in product.children] == ["product-function"]
    assert not leaf_categories().filter(code="battery").exists()
    everything = category_tree(include_inactive=True)[0]
    assert [node.category.code for node in everything.children][0] == "product-quality"


def test_category_by_code_refuses_unknown_inactive_and_groups():
    assert category_by_code("refund").code == "refund"
    assert category_by_code("process-approval").code == "process-approval"
    for code, leaf_only in [("nope", False), ("process-approval", True)]:
        with pytest.raises(Exception, match="not an active") as error:
            category_by_code(code, leaf_only=leaf_only)
        assert error.value.code == "invalid_input"


def test_clean_refuses_a_fourth_level_and_another_family():
    battery = Category.objects.get(code="battery")
    deeper = Category(
        code="battery-swelling",
        name_en="Swelling",
        name_zh="鼓包",
        parent=battery,
        family="product",
    )
    with pytest.raises(ValidationError, match="three levels"):
        deeper.clean()
    stray = Category(
        code="odd",
        name_en="Odd",
        name_zh="奇怪",
        parent=Category.objects.get(code="product-quality"),
        family="service",
    )
    with pytest.raises(ValidationError, match="family"):
        stray.clean()


def test_clean_refuses_a_cycle():
    group = Category.objects.get(code="product-quality")
    family = Category.objects.get(code="product")
    family.parent = group
    with pytest.raises(ValidationError, match="ancestor"):
        family.clean()


def test_admin_changelist_lists_the_tree_depth_first(client):
    from closeloop.people.tests.factories import UserFactory

    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.get("/admin/triage/category/")
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        page.index("Product quality") < page.index("— — Battery") < page.index("Product function")
    )
