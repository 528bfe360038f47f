"""`grassroots demo --no-serve` builds the S Street scenario on an empty database, through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from grassroots import cli, demo
from grassroots.applications.models import Application
from grassroots.awards.models import AwardList
from grassroots.contracts.models import Contract, Payment, Tranche
from grassroots.core.audit import verify
from grassroots.evaluation.models import Evaluation, PerformanceRecord
from grassroots.funding.models import Call
from grassroots.needs.models import Need
from grassroots.orgs.models import Organization, OrgKind


@pytest.mark.django_db
def test_demo_builds_on_an_empty_database(capsys: pytest.CaptureFixture[str]) -> None:
    assert not demo.is_loaded()

    assert cli.main(["demo", "--no-serve", "--seed", "7"]) == 0

    out = capsys.readouterr().out
    assert "bureau" in out and demo.DEMO_PASSWORD in out
    assert demo.is_loaded()
    kinds = dict.fromkeys(OrgKind.values, 0)
    for org in Organization.objects.all():
        kinds[org.kind] += 1
    assert kinds == {"department": 1, "street": 1, "community": 8, "agency": 6, "evaluator": 1}

    # One completed year ...
    decided = Call.objects.get(state=Call.State.DECIDED, program__fiscal_year=2025)
    award_list = AwardList.objects.get(call=decided, state=AwardList.State.DECIDED)
    assert award_list.total <= decided.budget
    assert Application.objects.filter(call=decided, state=Application.State.NOT_AWARDED).exists()
    assert Application.objects.filter(call=decided, state=Application.State.INELIGIBLE).exists()
    contracts = Contract.objects.filter(award__award_list=award_list)
    assert not Contract.objects.filter(award__award_list=award_list).exclude(state=Contract.State.COMPLETED).exists()
    assert contracts.count() == award_list.awards.count() > 0
    for contract in contracts:
        assert contract.state == Contract.State.COMPLETED
        paid = Payment.objects.filter(tranche__contract=contract).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        payable = contract.tranches.filter(state=Tranche.State.PAID).aggregate(s=Sum("payable"))["s"]
        assert paid == payable <= contract.amount
        assert contract.service_records.exists() and contract.expenditures.exists()
        final = contract.evaluations.get(kind=Evaluation.Kind.FINAL)
        assert final.state == Evaluation.State.ACCEPTED and final.grade
    assert PerformanceRecord.objects.count() == contracts.count()
    assert Need.objects.filter(state=Need.State.ADDRESSED).exists()

    # ... a year under way, whose review read last year's performance records ...
    running = Contract.objects.filter(state=Contract.State.ACTIVE)
    assert running.exists() and all(c.service_records.exists() for c in running)
    assert Application.objects.filter(call__program__fiscal_year=2026, performance_score__isnull=False).exists()

    # ... and one open call with applications.
    open_call = Call.objects.get(state=Call.State.OPEN)
    assert open_call.applications.filter(state=Application.State.SUBMITTED).count() >= 2

    assert verify().ok

    # Running it again keeps the data and says so.
    assert cli.main(["demo", "--no-serve"]) == 0
    assert "already loaded" in capsys.readouterr().out
    assert Contract.objects.filter(award__award_list=award_list).count() == contracts.count()
