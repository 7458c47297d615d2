"""The people API (mounted at /api/v1/people/): skills and the coverage matrix, training
courses and records, assessments and results, mentoring, onboarding.

Who may do what: an agent sees their own development (and starts their own courses, ticks
their own checklist); a team lead sees and manages the members of the teams they lead; an
administrator sees and manages everyone and edits the catalogues; customers and other users
get 403. Each handler: validate input → load and authorise → one service → output.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from closeloop.core.errors import InvalidInput, NotFound, PermissionDenied
from closeloop.people import selectors
from closeloop.people.access import (
    Requester,
    can_see_agent,
    led_team_ids,
    managed_agents,
    requester_for,
    require_admin,
    require_manager_of,
    visible_agents,
)
from closeloop.people.events import today
from closeloop.people.models import Agent, Skill, Team
from closeloop.people.models_development import (
    Assessment,
    Mentorship,
    OnboardingProgress,
    TrainingCourse,
    TrainingRecord,
)
from closeloop.people.schemas import (
    AssessmentIn,
    AssessmentOut,
    CompleteIn,
    CourseIn,
    CourseOut,
    MatrixOut,
    MentorshipIn,
    MentorshipOut,
    OnboardIn,
    OnboardingOut,
    OnboardOut,
    RecordIn,
    RecordOut,
    ResultIn,
    ResultOut,
    SkillLevelIn,
    SkillLevelOut,
    SkillOut,
    StepOut,
    TrainingStatusCode,
    agent_ref,
    assessment_out,
    course_out,
    matrix_out,
    mentorship_out,
    record_out,
    result_out,
    skill_out,
    step_out,
)
from closeloop.people.services import agent_skill_remove, agent_skill_set
from closeloop.people.services_onboarding import (
    agent_onboard,
    mentorship_end,
    mentorship_start,
    onboarding_step_done,
    onboarding_step_undo,
)
from closeloop.people.services_training import (
    assessment_create,
    assessment_result_record,
    course_create,
    training_assign,
    training_cancel,
    training_complete,
    training_start,
)
from closeloop.triage.selectors import routing_skill_needs

router = Router(tags=["people"])

MAX_LIST = 500


def _agent(requester: Requester, agent_id: int, *, field: str = "agent_id") -> Agent:
    """An agent the requester may see (others look missing, so ids do not leak)."""
    agent = Agent.objects.select_related("user").filter(pk=agent_id).first()
    if agent is None or not can_see_agent(requester, agent):
        raise NotFound(_("Agent %(id)s not found.") % {"id": agent_id}, details={"field": field})
    return agent


def _scope(requester: Requester, agent_id: int | None) -> selectors.AgentIds:
    """The agents a list covers: one agent (if visible), or all the requester sees (as a
    subquery, so a large organisation is not one long list of ids)."""
    if agent_id is not None:
        return [_agent(requester, agent_id).pk]
    return visible_agents(requester).values("pk")


def _record(requester: Requester, record_id: int) -> TrainingRecord:
    record = (
        TrainingRecord.objects.select_related("agent__user", "course").filter(pk=record_id).first()
    )
    if record is None or not can_see_agent(requester, record.agent):
        raise NotFound(_("Training record %(id)s not found.") % {"id": record_id})
    return record


def _is_self(requester: Requester, agent: Agent) -> bool:
    return requester.agent is not None and requester.agent.pk == agent.pk


# Skills and the coverage matrix


@router.get("/skills", response=list[SkillOut], summary="Every skill")
def skill_list_view(request: HttpRequest) -> list[SkillOut]:
    requester_for(request.user)
    return [skill_out(skill) for skill in Skill.objects.order_by("code")]


class MatrixQuery(Schema):
    team_id: int | None = Field(None, description="Default: every team you lead")


@router.get("/matrix", response=MatrixOut, summary="Skill coverage: agents × skills")
def matrix_view(request: HttpRequest, query: Query[MatrixQuery]) -> MatrixOut:
    requester = requester_for(request.user)
    led = led_team_ids(requester)
    if not led:
        raise PermissionDenied(_("Only team leads and administrators can see this."))
    if query.team_id is not None:
        if query.team_id not in led:
            raise NotFound(_("Team %(id)s not found.") % {"id": query.team_id})
        agents = Team.objects.get(pk=query.team_id).agents.select_related("user")
    else:
        agents = managed_agents(requester).select_related("user")
    matrix = selectors.skill_coverage(list(agents), needed=routing_skill_needs(query.team_id))
    return matrix_out(matrix, team_id=query.team_id)


@router.put(
    "/agents/{agent_id}/skills/{code}", response=SkillLevelOut, summary="Set an agent's level"
)
def skill_set_view(
    request: HttpRequest, agent_id: int, code: str, payload: SkillLevelIn
) -> SkillLevelOut:
    requester = requester_for(request.user)
    agent = _agent(requester, agent_id)
    require_manager_of(requester, agent)
    skill = Skill.objects.filter(code=code).first()
    if skill is None:
        raise NotFound(_("No skill with code %(code)s.") % {"code": code})
    level = agent_skill_set(agent=agent, skill=skill, level=payload.level, actor=requester.user)
    return SkillLevelOut(agent_id=agent.pk, skill=skill.code, level=level.level)


@router.delete(
    "/agents/{agent_id}/skills/{code}", response={204: None}, summary="Remove an agent's skill"
)
def skill_remove_view(request: HttpRequest, agent_id: int, code: str) -> Status[None]:
    requester = requester_for(request.user)
    agent = _agent(requester, agent_id)
    require_manager_of(requester, agent)
    skill = Skill.objects.filter(code=code).first()
    if skill is None or not agent_skill_remove(agent=agent, skill=skill, actor=requester.user):
        raise NotFound(_("The agent has no skill %(code)s.") % {"code": code})
    return Status(204, None)


# Courses and training records


@router.get("/courses", response=list[CourseOut], summary="The training catalogue")
def course_list_view(request: HttpRequest) -> list[CourseOut]:
    requester_for(request.user)
    return [course_out(c) for c in TrainingCourse.objects.select_related("skill")[:MAX_LIST]]


@router.post("/courses", response={201: CourseOut}, summary="Add a course (administrators)")
def course_create_view(request: HttpRequest, payload: CourseIn) -> Status[CourseOut]:
    requester = requester_for(request.user)
    require_admin(requester)
    course = course_create(actor=requester.user, **payload.dict())
    return Status(201, course_out(course))


class RecordQuery(Schema):
    agent_id: int | None = None
    status: TrainingStatusCode | None = None
    overdue: bool | None = Field(None, description="Only open courses past their due date")


@router.get("/records", response=list[RecordOut], summary="Training records you may see")
def record_list_view(request: HttpRequest, query: Query[RecordQuery]) -> list[RecordOut]:
    requester = requester_for(request.user)
    day = today()
    records = selectors.training_records(_scope(requester, query.agent_id))
    if query.status is not None:
        records = records.filter(status=query.status)
    if query.overdue:
        records = records.filter(due_on__lt=day, status__in=["assigned", "in_progress"])
    return [record_out(record, today=day) for record in records[:MAX_LIST]]


@router.post("/records", response={201: RecordOut}, summary="Assign a course to an agent")
def record_create_view(request: HttpRequest, payload: RecordIn) -> Status[RecordOut]:
    requester = requester_for(request.user)
    agent = _agent(requester, payload.agent_id)
    require_manager_of(requester, agent)
    course = TrainingCourse.objects.filter(pk=payload.course_id).first()
    if course is None:
        raise InvalidInput(_("No such course."), details={"field": "course_id"})
    record = training_assign(
        agent=agent, course=course, actor=requester.user, due_on=payload.due_on
    )
    return Status(201, record_out(record, today=today()))


@router.post("/records/{record_id}/start", response=RecordOut, summary="Start a course")
def record_start_view(request: HttpRequest, record_id: int) -> RecordOut:
    requester = requester_for(request.user)
    record = _record(requester, record_id)
    if not _is_self(requester, record.agent):
        require_manager_of(requester, record.agent)
    return record_out(training_start(record=record, actor=requester.user), today=today())


@router.post(
    "/records/{record_id}/complete", response=RecordOut, summary="Record a course completed"
)
def record_complete_view(request: HttpRequest, record_id: int, payload: CompleteIn) -> RecordOut:
    requester = requester_for(request.user)
    record = _record(requester, record_id)
    require_manager_of(requester, record.agent)
    record = training_complete(record=record, score=payload.score, actor=requester.user)
    return record_out(record, today=today())


@router.post("/records/{record_id}/cancel", response=RecordOut, summary="Withdraw an enrolment")
def record_cancel_view(request: HttpRequest, record_id: int) -> RecordOut:
    requester = requester_for(request.user)
    record = _record(requester, record_id)
    require_manager_of(requester, record.agent)
    return record_out(training_cancel(record=record, actor=requester.user), today=today())


# Assessments and results


@router.get("/assessments", response=list[AssessmentOut], summary="Every assessment")
def assessment_list_view(request: HttpRequest) -> list[AssessmentOut]:
    requester_for(request.user)
    items = Assessment.objects.select_related("skill")[:MAX_LIST]
    return [assessment_out(item) for item in items]


@router.post(
    "/assessments", response={201: AssessmentOut}, summary="Add an assessment (administrators)"
)
def assessment_create_view(request: HttpRequest, payload: AssessmentIn) -> Status[AssessmentOut]:
    requester = requester_for(request.user)
    require_admin(requester)
    course = None
    if payload.course_id is not None:
        course = TrainingCourse.objects.filter(pk=payload.course_id).first()
        if course is None:
            raise InvalidInput(_("No such course."), details={"field": "course_id"})
    fields = payload.dict(exclude={"course_id"})
    assessment = assessment_create(actor=requester.user, course=course, **fields)
    return Status(201, assessment_out(assessment))


class ResultQuery(Schema):
    agent_id: int | None = None
    assessment_id: int | None = None


@router.get("/results", response=list[ResultOut], summary="Assessment results you may see")
def result_list_view(request: HttpRequest, query: Query[ResultQuery]) -> list[ResultOut]:
    requester = requester_for(request.user)
    results = selectors.assessment_results(_scope(requester, query.agent_id))
    if query.assessment_id is not None:
        results = results.filter(assessment_id=query.assessment_id)
    return [result_out(result) for result in results[:MAX_LIST]]


@router.post(
    "/assessments/{assessment_id}/results",
    response={201: ResultOut},
    summary="Record an agent's attempt (a pass may raise their skill level)",
)
def result_create_view(
    request: HttpRequest, assessment_id: int, payload: ResultIn
) -> Status[ResultOut]:
    requester = requester_for(request.user)
    assessment = (
        Assessment.objects.select_related("skill", "course__skill").filter(pk=assessment_id).first()
    )
    if assessment is None:
        raise NotFound(_("Assessment %(id)s not found.") % {"id": assessment_id})
    agent = _agent(requester, payload.agent_id)
    require_manager_of(requester, agent)
    result = assessment_result_record(
        assessment=assessment,
        agent=agent,
        score=payload.score,
        actor=requester.user,
        notes=payload.notes,
    )
    return Status(201, result_out(result))


# Mentoring


class MentorshipQuery(Schema):
    agent_id: int | None = None
    active: bool | None = None


@router.get("/mentorships", response=list[MentorshipOut], summary="Mentoring pairs you may see")
def mentorship_list_view(
    request: HttpRequest, query: Query[MentorshipQuery]
) -> list[MentorshipOut]:
    requester = requester_for(request.user)
    pairs = selectors.mentorships(_scope(requester, query.agent_id))
    if query.active is not None:
        pairs = pairs.filter(is_active=query.active)
    return [mentorship_out(pair) for pair in pairs[:MAX_LIST]]


@router.post("/mentorships", response={201: MentorshipOut}, summary="Pair a mentor and a mentee")
def mentorship_create_view(request: HttpRequest, payload: MentorshipIn) -> Status[MentorshipOut]:
    requester = requester_for(request.user)
    mentee = _agent(requester, payload.mentee_id, field="mentee_id")
    require_manager_of(requester, mentee)
    mentor = Agent.objects.select_related("user").filter(pk=payload.mentor_id).first()
    if mentor is None:
        raise InvalidInput(_("No such mentor."), details={"field": "mentor_id"})
    pair = mentorship_start(
        mentor=mentor,
        mentee=mentee,
        actor=requester.user,
        goals=payload.goals,
        started_on=payload.started_on,
        ends_on=payload.ends_on,
    )
    return Status(201, mentorship_out(pair))


@router.post("/mentorships/{pair_id}/end", response=MentorshipOut, summary="End a mentoring pair")
def mentorship_end_view(request: HttpRequest, pair_id: int) -> MentorshipOut:
    requester = requester_for(request.user)
    pair = Mentorship.objects.select_related("mentor", "mentee").filter(pk=pair_id).first()
    if pair is None or not can_see_agent(requester, pair.mentee):
        raise NotFound(_("Mentoring pair %(id)s not found.") % {"id": pair_id})
    require_manager_of(requester, pair.mentee)
    return mentorship_out(mentorship_end(mentorship=pair, actor=requester.user))


# Onboarding


class OnboardingQuery(Schema):
    agent_id: int | None = Field(None, description="Default: yourself")


@router.get("/onboarding", response=OnboardingOut, summary="An agent's onboarding checklist")
def onboarding_view(request: HttpRequest, query: Query[OnboardingQuery]) -> OnboardingOut:
    requester = requester_for(request.user)
    if query.agent_id is None:
        if requester.agent is None:
            raise InvalidInput(_("Say which agent."), details={"field": "agent_id"})
        agent = requester.agent
    else:
        agent = _agent(requester, query.agent_id)
    steps = list(selectors.onboarding_steps(agent))
    return OnboardingOut(
        agent=agent_ref(agent),
        done=sum(step.done_at is not None for step in steps),
        total=len(steps),
        steps=[step_out(step) for step in steps],
    )


@router.post(
    "/agents/{agent_id}/onboard",
    response=OnboardOut,
    summary="Give a new agent the checklist and the mandatory courses",
)
def onboard_view(request: HttpRequest, agent_id: int, payload: OnboardIn) -> OnboardOut:
    requester = requester_for(request.user)
    agent = _agent(requester, agent_id)
    require_manager_of(requester, agent)
    onboarded = agent_onboard(agent=agent, actor=requester.user, started_on=payload.started_on)
    return OnboardOut(
        agent_id=agent.pk,
        steps_added=onboarded.steps_added,
        courses_assigned=onboarded.courses_assigned,
    )


def _step(requester: Requester, step_id: int) -> OnboardingProgress:
    step = (
        OnboardingProgress.objects.select_related("agent__user", "item", "done_by")
        .filter(pk=step_id)
        .first()
    )
    if step is None or not can_see_agent(requester, step.agent):
        raise NotFound(_("Checklist step %(id)s not found.") % {"id": step_id})
    if not _is_self(requester, step.agent):
        require_manager_of(requester, step.agent)
    return step


@router.post("/onboarding/{step_id}/done", response=StepOut, summary="Tick a checklist step")
def step_done_view(request: HttpRequest, step_id: int) -> StepOut:
    requester = requester_for(request.user)
    step = onboarding_step_done(progress=_step(requester, step_id), actor=requester.user)
    return step_out(step)


@router.post("/onboarding/{step_id}/undo", response=StepOut, summary="Untick a checklist step")
def step_undo_view(request: HttpRequest, step_id: int) -> StepOut:
    requester = requester_for(request.user)
    step = onboarding_step_undo(progress=_step(requester, step_id), actor=requester.user)
    return step_out(step)
