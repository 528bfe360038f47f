"""Nothing personal ever reaches the public: every portal page (followed link by link from /open/, in both
languages, with every list's CSV download) and every API answer (each list, each object) is searched for the
names of residents, social workers, officers and reviewers, survey answers, beneficiary codes and the texts of
applications that are not on a publicised award list."""

from __future__ import annotations

import json
import re
from collections import deque

import pytest
from django.test import Client

from tests.web.conftest import WebWorld

from .conftest import PERSONAL

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="(/open/[^"#?]*)(\?format=csv)?"')
LIST_ENDPOINTS = ["programs", "calls", "award-lists", "contracts", "evaluations", "organizations"]


def leaks(text: str) -> list[str]:
    return [secret for secret in PERSONAL if secret in text]


def crawl(client: Client) -> dict[str, str]:
    """Every portal page reachable from /open/ (and each list's CSV download), by path."""
    seen: dict[str, str] = {}
    queue = deque(["/open/"])
    while queue and len(seen) < 300:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.content.decode("utf-8-sig")
        seen[path] = text
        if path.endswith("?format=csv"):
            continue
        for link, csv in HREF.findall(text):
            queue.append(link + csv)
            if re.fullmatch(r"/open/[a-z-]+/", link):  # a list: its download too
                queue.append(link + "?format=csv")
    return seen


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_portal_page_shows_anything_personal(portal: WebWorld, language: str) -> None:
    client = Client(headers={"Accept-Language": language})
    pages = crawl(client)
    found = {path: leaks(text) for path, text in pages.items() if leaks(text)}
    assert not found, f"personal data on public pages: {found}"
    # The crawl reached every kind of page, and the public facts are there.
    kinds = {re.sub(r"\d+", "N", path) for path in pages}
    for kind in (
        "/open/contracts/N/",
        "/open/awards/N/",
        "/open/calls/N/",
        "/open/programs/N/",
        "/open/organizations/N/",
        "/open/evaluations/",
        "/open/contracts/?format=csv",
    ):
        assert kind in kinds, kind
    everything = "\n".join(pages.values())
    assert portal.text["app_a_awarded"] in everything or "Silver mutual aid" in everything
    assert portal.text["contract"] in everything


def test_no_api_answer_shows_anything_personal(portal: WebWorld) -> None:
    client = Client()
    answers: dict[str, str] = {}
    for name in LIST_ENDPOINTS:
        listing = client.get(f"/api/{name}?limit=100")
        assert listing.status_code == 200
        answers[name] = listing.content.decode()
        for item in listing.json()["items"]:
            detail = client.get(f"/api/{name}/{item['id']}")
            assert detail.status_code == 200
            answers[f"{name}/{item['id']}"] = detail.content.decode()
    answers["openapi"] = client.get("/api/openapi.json").content.decode()
    decoded = {key: json.dumps(json.loads(text), ensure_ascii=False) for key, text in answers.items()}
    found = {key: leaks(text) for key, text in decoded.items() if leaks(text)}
    assert not found, f"personal data in API answers: {found}"
    assert portal.text["contract"] in decoded["contracts"]
    assert len(answers) > 15
