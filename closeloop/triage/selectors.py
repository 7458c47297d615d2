"""Read queries over the taxonomy and routing configuration that other apps' pages use."""

from __future__ import annotations

from closeloop.triage.models import CategorySkill


def routing_skill_needs(team_id: int | None = None) -> dict[int, int]:
    """Skill id → the lowest level routing asks for, over the categories routed to the team
    (a category's own team, else its parent's or grandparent's). Categories routed to no
    team can land anywhere, so they count for every team; no team: every category."""
    rows = CategorySkill.objects.values_list(
        "skill_id",
        "min_level",
        "category__team_id",
        "category__parent__team_id",
        "category__parent__parent__team_id",
    )
    needs: dict[int, int] = {}
    for skill_id, level, *chain in rows:
        owner = next((team for team in chain if team is not None), None)
        if team_id is not None and owner is not None and owner != team_id:
            continue
        needs[skill_id] = min(level, needs.get(skill_id, level))
    return needs
