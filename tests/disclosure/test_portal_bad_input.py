"""The portal answers anyone, so what anyone can type into its query strings must never fail it."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.web.conftest import WebWorld

pytestmark = pytest.mark.django_db

HUGE = "9" * 23  # no key column holds it


@pytest.mark.parametrize(
    "path",
    [
        f"/open/programs/?year={HUGE}&category={HUGE}",
        f"/open/calls/?issuer={HUGE}&category={HUGE}&year=-1",
        f"/open/contracts/?agency={HUGE}&community={HUGE}",
        f"/open/awards/?issuer={HUGE}",
        f"/open/evaluations/?agency={HUGE}&year={HUGE}",
        f"/open/contracts/?agency={HUGE}&format=csv",
    ],
)
def test_numbers_no_key_can_hold_are_ignored(portal: WebWorld, path: str) -> None:
    assert Client().get(path).status_code == 200
