"""The contract PDF for printing and stamping, its page, and amounts in Chinese capital numerals."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from grassroots.contracts import services as contract_services
from grassroots.contracts.documents import capital_cny, contract_pdf, printable
from grassroots.contracts.models import Contract, ContractLine
from grassroots.core.errors import ValidationError
from tests import world as w

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(
    PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed: the PDF's text cannot be extracted"
)


# --- capital numerals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("0.00", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角"),
        ("1.05", "壹元零伍分"),
        ("10.00", "壹拾元整"),
        ("20.40", "贰拾元肆角"),
        ("1005.00", "壹仟零伍元整"),
        ("100010.50", "壹拾万零壹拾元伍角"),
        ("123456.78", "壹拾贰万叁仟肆佰伍拾陆元柒角捌分"),
        ("1000000.00", "壹佰万元整"),
        ("1010101.01", "壹佰零壹万零壹佰零壹元零壹分"),
        ("10000100.00", "壹仟万零壹佰元整"),
        ("100000001.00", "壹亿零壹元整"),
        ("1000010000.00", "壹拾亿零壹万元整"),
        ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_capital_numerals(amount: str, capitals: str) -> None:
    assert capital_cny(amount) == capitals
    assert capital_cny(Decimal(amount)) == capitals


def test_capital_numerals_refuse_what_is_not_an_amount() -> None:
    with pytest.raises(ValueError, match="negative"):
        capital_cny("-1.00")
    with pytest.raises(ValidationError, match="not as a float"):
        capital_cny(1.5)
    with pytest.raises(ValidationError, match="at most two decimal places"):
        capital_cny("1.005")


# --- the PDF ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def contract_pk(module_world: w.World, django_db_blocker: Any) -> Iterator[int]:
    with w.kept_for_module(django_db_blocker) as unblocked:
        with unblocked():
            world = w.reload(module_world)
            contract = w.funded_contract(world, requested="123456.78")
            lines = {x.head: x for x in ContractLine.objects.filter(contract=contract)}
            contract_services.request_reallocation(
                world.managers[1],
                contract,
                source=lines["personnel"],
                target=lines["activities"],
                amount="1000.00",
                reason="调整",
            )
        yield contract.pk


@pytest.fixture
def contract(contract_pk: int, world: w.World) -> Contract:
    return Contract.objects.get(pk=contract_pk)


def text_of(pdf: bytes) -> str:
    assert PDFTOTEXT is not None
    result = subprocess.run([PDFTOTEXT, "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return re.sub(r"[ \t]+", " ", result.stdout.decode("utf-8"))


@pytest.mark.django_db
def test_the_pdf_is_a_pdf(world: w.World, contract: Contract) -> None:
    pdf = contract_pdf(contract)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"/STSong-Light" in pdf  # the built-in CID font: Chinese renders with no font file
    assert b"/Type /Page" in pdf


def test_characters_the_font_lacks_are_replaced() -> None:
    assert printable("阳光·为老服务 ¥1.00 • ‧") == "阳光・为老服务 ￥1.00 ・ ・"


@needs_pdftotext
@pytest.mark.django_db
def test_the_pdf_holds_the_whole_contract_in_chinese(world: w.World, contract: Contract) -> None:
    with translation.override("zh-hans"):
        text = text_of(contract_pdf(contract))
    flat = text.replace("\n", " ")
    for expected in [
        contract.number,
        "S街道办事处",
        world.street.uscc,
        "同心社工事务所",
        world.agencies[1].uscc,
        "东湖社区",
        world.communities[0].uscc,
        "2025-04-01",
        "2026-03-31",
        "￥123,456.78",
        "壹拾贰万叁仟肆佰伍拾陆元柒角捌分",
        "社工人力成本",
        "￥60,728.39",  # 61,728.39 less the 1,000 moved to activities
        "管理费",
        "人员费用",  # the budget head, in words
        "为老服务项目",
        "小组活动节数",
        "服务对象人数",
        "80%",
        "甲方",
        "乙方",
        "盖章",
    ]:
        assert expected in flat, expected


@needs_pdftotext
@pytest.mark.django_db
def test_the_pdf_follows_the_readers_language(world: w.World, contract: Contract) -> None:
    text = text_of(contract_pdf(contract)).replace("\n", " ")
    for expected in [
        "Party A (purchaser)",
        "Unified social credit code",
        "Tongxin",
        "Excellent 100%",
        "Pass 80%",
        "Fail 0%",
        "壹拾贰万叁仟肆佰伍拾陆元柒角捌分",  # capitals stay Chinese: they are what is stamped
        "Budget reallocation",
    ]:
        assert expected in text, expected


@pytest.mark.django_db
def test_the_pdf_page_is_for_those_who_see_the_contract(world: w.World, contract: Contract) -> None:
    url = reverse("contract-pdf", args=[contract.pk])
    client = Client()
    assert client.get(url).status_code == 302  # to the login page
    for user in (world.managers[1], world.street_officer, world.dept_officer, world.community_workers[0]):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        assert f'filename="{contract.number}.pdf"' in response["Content-Disposition"]
    for user in (world.managers[0], world.other_street_officer, world.residents[0][0], world.evaluator):
        client.force_login(user)
        assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_contract_page_links_to_the_pdf(world: w.World, contract: Contract) -> None:
    client = Client()
    client.force_login(world.managers[1])
    page = client.get(reverse("contract-detail", args=[contract.pk])).content.decode()
    assert reverse("contract-pdf", args=[contract.pk]) in page
    assert "变更申请" in page and "调整" in page  # the page speaks the default language, Chinese


@pytest.mark.django_db
def test_a_terminated_contract_prints_its_settlement(world: w.World, contract: Contract) -> None:
    contract_services.terminate(world.street_officer, contract, "终止", settlement="500.00")
    pdf = contract_pdf(Contract.objects.get(pk=contract.pk))
    assert pdf.startswith(b"%PDF-")
    if PDFTOTEXT:
        assert "settlement ￥500.00" in text_of(pdf)
