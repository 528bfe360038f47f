"""Registering organizations, people, memberships and the expert pool."""

from __future__ import annotations

import pytest

from grassroots.core.errors import Forbidden, RuleViolation, ValidationError
from grassroots.orgs import services as org_services
from grassroots.orgs.models import Membership, Organization, OrgKind
from grassroots.orgs.selectors import communities_of, department_of, has_role, social_workers_of, streets_of
from tests import world as w

pytestmark = pytest.mark.django_db


def test_the_world_is_as_described(world: w.World) -> None:
    kinds = {kind: Organization.objects.filter(kind=kind).count() for kind in OrgKind.values}
    assert kinds == {"department": 1, "street": 2, "community": 3, "agency": 3, "evaluator": 1}
    assert list(communities_of(world.street)) == world.communities[:2]
    assert set(communities_of(world.department)) == set(world.communities)
    assert set(streets_of(world.department)) == {world.street, world.other_street}
    assert department_of(world.communities[2]) == world.department
    assert set(social_workers_of(world.agencies[0])) == set(world.social_workers[0])
    assert has_role(world.managers[0], world.agencies[0], "manager")
    assert not has_role(world.managers[0], world.agencies[1], "manager")
    assert all(len(o.uscc) == 18 for o in Organization.objects.all())


@pytest.mark.parametrize(
    ("code", "match"),
    [
        ("91350100M000100Y44", "check character"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100MO00100Y43", "cannot have"),
    ],
)
def test_an_organization_needs_a_valid_credit_code(world: w.World, code: str, match: str) -> None:
    with w.refused(ValidationError, match=match):
        org_services.register_organization(world.dept_officer, kind="agency", name="新机构", uscc=code)


def test_a_credit_code_is_registered_once(world: w.World) -> None:
    with w.refused(RuleViolation, match="already registered"):
        org_services.register_organization(
            world.dept_officer, kind="agency", name="同名冒用", uscc=world.agencies[0].uscc.lower()
        )


@pytest.mark.parametrize(
    ("kind", "parent_key", "match"),
    [
        ("community", None, "must belong to a Street office"),
        ("community", "department", "must belong to a Street office"),
        ("street", None, "must belong to a Purchasing department"),
        ("church", None, "Unknown kind"),
    ],
)
def test_streets_and_communities_sit_in_the_hierarchy(
    world: w.World, kind: str, parent_key: str | None, match: str
) -> None:
    parent = getattr(world, parent_key) if parent_key else None
    with w.refused(RuleViolation, match=match):
        org_services.register_organization(
            world.dept_officer, kind=kind, name="新单位", uscc=w.uscc("5", "5", 99), parent=parent
        )


def test_a_valid_registration_is_audited(world: w.World) -> None:
    agency = org_services.register_organization(
        world.dept_officer, kind="agency", name=" 新机构 ", uscc=w.uscc("5", "2", 98).lower(), parent=world.street
    )
    assert (agency.name, agency.uscc, agency.parent) == ("新机构", w.uscc("5", "2", 98), None)


@pytest.mark.parametrize("who", ["street_officer", "managers", "evaluator"])
def test_only_staff_or_a_department_officer_registers(world: w.World, who: str) -> None:
    actor = getattr(world, who)
    actor = actor[0] if isinstance(actor, list) else actor
    with w.refused(Forbidden):
        org_services.register_organization(actor, kind="agency", name="新机构", uscc=w.uscc("5", "2", 97))


def test_a_role_must_exist_in_the_kind_of_organization(world: w.World) -> None:
    person = org_services.add_person(world.dept_officer, name="张三")
    with w.refused(RuleViolation, match="does not exist in a Social-work agency"):
        org_services.add_membership(world.dept_officer, person=person, organization=world.agencies[0], role="resident")


def test_an_agency_manager_adds_its_own_members_only(world: w.World) -> None:
    person = org_services.add_person(world.managers[0], name="新社工", certificate="assistant")
    membership = org_services.add_membership(
        world.managers[0], person=person, organization=world.agencies[0], role="social_worker"
    )
    assert membership.role == "social_worker"
    again = org_services.add_membership(
        world.managers[0], person=person, organization=world.agencies[0], role="social_worker"
    )
    assert again.pk == membership.pk and Membership.objects.filter(person=person).count() == 1
    with w.refused(Forbidden):
        org_services.add_membership(world.managers[0], person=person, organization=world.agencies[1], role="manager")


def test_a_login_name_is_taken_once(world: w.World) -> None:
    with w.refused(RuleViolation, match="is taken"):
        org_services.add_person(world.dept_officer, name="重名", username="manager0")


def test_the_expert_pool(world: w.World) -> None:
    person = org_services.add_person(world.dept_officer, name="新专家", username="expert_new")
    with w.refused(RuleViolation, match="capacity must be at least one"):
        org_services.register_expert(world.dept_officer, person=person, expertise=["elderly"], capacity=0)
    with w.refused(Forbidden):
        org_services.register_expert(world.street_officer, person=person, expertise=["elderly"])
    expert = org_services.register_expert(world.dept_officer, person=person, expertise=["youth", "elderly", "youth"])
    assert expert.expertise == ["elderly", "youth"]
    affiliation = org_services.declare_affiliation(
        person.user, expert=expert, organization=world.agencies[2], kind="collaborator"
    )
    assert affiliation.expert == expert
    with w.refused(Forbidden):
        org_services.declare_affiliation(
            world.managers[0], expert=expert, organization=world.agencies[0], kind="employee"
        )


@pytest.mark.django_db
def test_a_membership_counts_until_its_end_date(world: w.World) -> None:
    from datetime import timedelta

    from django.utils import timezone

    worker = world.social_workers[1][0]
    membership = Membership.objects.get(person=worker, organization=world.agencies[1])
    membership.until = timezone.localdate() + timedelta(days=30)  # leaving next month: still on the team
    membership.save(update_fields=["until"])
    assert has_role(worker.user, world.agencies[1], "social_worker")
    assert worker in social_workers_of(world.agencies[1])
    membership.until = timezone.localdate() - timedelta(days=1)  # left yesterday
    membership.save(update_fields=["until"])
    assert not has_role(worker.user, world.agencies[1], "social_worker")
    assert worker not in social_workers_of(world.agencies[1])
