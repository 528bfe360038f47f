"""A crawl of the whole API as the public sees it: every GET operation of the OpenAPI document (the REST reads,
/api/ocds/ and /api/governance/), each list followed page by page and each object opened, on the portal's
demo-like world — which holds residents, beneficiary codes, survey answers, a phone number in a service
record and an open call under review by its expert. No answer may carry any of them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.test import Client

from grassroots.contracts.models import Contract
from grassroots.delivery import services as delivery_services
from grassroots.orgs.models import Person
from tests.disclosure.conftest import PERSONAL, build_portal_world
from tests.web.conftest import WebWorld, built_for_module

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
#: A mainland mobile number standing alone (not inside a credit code, an amount or a longer number).
MOBILE = re.compile(r"(?<![0-9A-Za-z.])1[3-9]\d{9}(?![0-9A-Za-z.])")
#: Keys that only a record of people would have: none may appear in a public answer. (Not "notes": OCDS bid
#: statistics carry the panel's aggregate in one; what a service record's notes say is searched for above.)
PERSONAL_KEYS = {"beneficiary_codes", "answers", "phone", "expert", "reviewer", "reviewers", "social_workers", "team"}


def build_crawl_world() -> WebWorld:
    world = build_portal_world()
    worker = Person.objects.get(user__username=world.users["sw_a"])
    delivery_services.record_service(
        worker.user,
        Contract.objects.get(pk=world.pk["contract"]),
        kind="case",
        held_on=date(2025, 6, 4),
        title="电话回访",
        social_workers=[worker],
        beneficiaries=1,
        beneficiary_codes=["BNF-7790"],
        location=f"钱阿姨家（电话 {PHONE}）",
        notes=f"钱阿姨的电话是 {PHONE}。",
    )
    return world


@pytest.fixture(scope="module")
def crawl_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[WebWorld]:
    with built_for_module(django_db_blocker, build_crawl_world) as built:
        yield built


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


class Crawler:
    """GETs anonymously, keeping every answer's text by URL; follows `next` and the OCDS `Link` header."""

    def __init__(self) -> None:
        self.client = Client(headers={"Accept-Language": "zh-hans"})
        self.answers: dict[str, Any] = {}

    def get(self, url: str) -> Any:
        if url in self.answers:
            return self.answers[url]
        response = self.client.get(url)
        assert response.status_code < 500, url
        assert response["Content-Type"].startswith("application/json"), url
        self.answers[url] = response
        return response

    def pages(self, url: str) -> list[Any]:
        """Every item of a paged list (or every release of an OCDS package), page by page."""
        items: list[Any] = []
        next_url: str | None = url
        while next_url:
            response = self.get(next_url)
            assert response.status_code == 200, next_url
            body = response.json()
            if "items" in body:
                items += body["items"]
                next_url = body["next"]
            else:
                items += body.get("releases", []) + body.get("records", [])
                link = re.search(r"<([^>]+)>; rel=\"next\"", response.get("Link", ""))
                next_url = re.sub(r"^https?://[^/]+", "", link.group(1)) if link else None
        return items


def test_no_public_answer_of_the_api_shows_anything_personal(crawl_world: WebWorld) -> None:
    crawler = Crawler()
    document = crawler.get("/api/openapi.json").json()
    gets = {path: ops["get"] for path, ops in document["paths"].items() if "get" in ops}
    visited: set[str] = set()

    for path, operation in sorted(gets.items()):
        if operation.get("security"):  # a token's own reads: anonymously, a 401 in the error body
            url = path.replace("{id}", "1")
            assert crawler.get(url).status_code == 401, url
            visited.add(path)
        elif "{" not in path and path != "/api/governance/metrics":
            items = crawler.pages(f"{path}?limit=100" if "/ocds/" not in path else f"{path}?page_size=100")
            assert items, path
            visited.add(path)

    for path in gets:
        if "{id}" in path and not gets[path].get("security"):
            listing = path.removesuffix("/{id}")
            for item in crawler.pages(f"{listing}?limit=100"):
                assert crawler.get(path.replace("{id}", str(item["id"]))).status_code == 200
            visited.add(path)
    ocids = {release["ocid"] for release in crawler.pages("/api/ocds/release-package?page_size=100")}
    assert ocids
    for ocid in ocids:
        for path in ("/api/ocds/records/{ocid}", "/api/ocds/releases/{ocid}"):
            assert crawler.get(path.replace("{ocid}", ocid)).status_code == 200
            visited.add(path)
    for jurisdiction in crawler.pages("/api/governance/jurisdictions?limit=100"):
        kind = "street" if jurisdiction["kind"] == "street" else "department"
        url = f"/api/governance/metrics?{kind}={jurisdiction['id']}&first=2020&last=2030"
        assert crawler.get(url).status_code == 200
    visited.add("/api/governance/metrics")

    assert visited == set(gets), set(gets) - visited
    assert len(crawler.answers) > 25

    texts = {
        url: json.dumps(response.json(), ensure_ascii=False) if url != "/api/openapi.json" else ""
        for url, response in crawler.answers.items()
    }
    secrets = [*PERSONAL, PHONE, "BNF-7790", "电话回访"]
    found = {url: [s for s in secrets if s in text] for url, text in texts.items() if any(s in text for s in secrets)}
    assert not found, f"personal data in public API answers: {found}"
    phones = {url: MOBILE.findall(text) for url, text in texts.items() if MOBILE.search(text)}
    assert not phones, phones
    keys = {
        url: sorted(PERSONAL_KEYS & set(_keys(response.json())))
        for url, response in crawler.answers.items()
        if url != "/api/openapi.json" and PERSONAL_KEYS & set(_keys(response.json()))
    }
    assert not keys, keys
    # The crawl saw the public facts (so it searched real answers, not empty ones).
    everything = "\n".join(texts.values())
    assert crawl_world.text["contract"] in everything
