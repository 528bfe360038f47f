"""The contract as a document to print, sign and stamp (PDF), and the amount in Chinese capital numerals.

Chinese text is set in reportlab's built-in CID font STSong-Light (see `core.pdf`, shared with the
evaluation reports): the PDF viewer supplies the glyphs, so no font file is shipped or downloaded.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from grassroots.core.money import format_cny, money
from grassroots.core.pdf import Kit, localized, printable

from .models import ChangeRequest, Contract, ContractLine, Tranche

__all__ = ["capital_cny", "contract_pdf", "printable"]

# --- amounts in capital numerals (大写) --------------------------------------------------------

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("仟", "佰", "拾", "")
SECTIONS = ("", "万", "亿")


def _group(value: int) -> str:
    """A number 1..9999 in capitals; zeros inside it read as one 零, trailing zeros not at all."""
    out: list[str] = []
    started = zero = False
    for digit, place in zip((int(d) for d in f"{value:04d}"), PLACES, strict=True):
        if digit == 0:
            zero = zero or started
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(DIGITS[digit] + place)
        started = True
    return "".join(out)


def _integer(value: int) -> str:
    """A whole number of yuan in capitals, in sections of four digits (万, 亿); '' for zero."""
    groups: list[int] = []
    while value:
        groups.append(value % 10000)
        value //= 10000
    if len(groups) > len(SECTIONS):
        raise ValueError("amount too large")
    out = ""
    gap = False  # a whole section of zeros lies between two written ones
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            gap = gap or bool(out)
            continue
        if out and (gap or group < 1000):
            out += "零"
        out += _group(group) + SECTIONS[index]
        gap = False
    return out


def capital_cny(amount: Any) -> str:
    """The amount in the capital numerals written on contracts and cheques (中文大写金额).

    123456.78 → 壹拾贰万叁仟肆佰伍拾陆元柒角捌分; 10.00 → 壹拾元整; 0.05 → 伍分; 0.00 → 零元整.
    A whole amount ends in 整; a 零 stands where 角 is zero before 分 (壹元零伍分).
    """
    value = money(amount)
    if value < 0:
        raise ValueError("a negative amount has no capital form")
    cents = int(value * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    out = _integer(yuan)
    if out:
        out += "元"
    if jiao == 0 and fen == 0:
        return (out or "零元") + "整"
    if jiao:
        out += DIGITS[jiao] + "角"
    elif out:
        out += "零"
    if fen:
        out += DIGITS[fen] + "分"
    return out


# --- the PDF ------------------------------------------------------------------------------------

_name = localized


def _title(contract: Contract) -> str:
    application = contract.award.application
    if contract.title == application.title:
        return _name(application, "title")
    return str(contract.title)


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def _quantity(value: Decimal) -> str:
    normalized = value.normalize()
    return f"{normalized:f}" if normalized == normalized.to_integral_value() else f"{value:f}"


def contract_pdf(contract: Contract) -> bytes:
    """The contract, ready to print, sign and stamp: parties, term, amount (in figures and capitals), budget
    lines, milestones and tranches with the grade rule of the last one, indicators, changes, signature blocks."""
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Spacer

    kit = Kit()
    p, table, body, heading, title, subtitle = kit.p, kit.table, kit.body, kit.heading, kit.title, kit.subtitle

    from grassroots.applications.models import BudgetHead

    heads = dict(BudgetHead.choices)
    application = contract.award.application
    program = application.call.program
    communities = list(contract.communities.order_by("name"))
    lines = list(ContractLine.objects.filter(contract=contract).order_by("pk"))
    tranches = list(Tranche.objects.filter(contract=contract).select_related("milestone").order_by("position"))
    indicators = list(application.indicators.order_by("pk"))
    changes = list(
        ChangeRequest.objects.filter(contract=contract, state=ChangeRequest.State.APPLIED).order_by("requested_at")
    )
    width = kit.width

    story: list[Any] = [
        p(_("Contract for the government purchase of social services"), title),
        p(f"{_title(contract)}", subtitle),
        p(_("Contract number: %(n)s") % {"n": contract.number}, subtitle),
        p(_("1. Parties"), heading),
        table(
            [
                [_("Party"), _("Organization"), _("Unified social credit code")],
                [_("Party A (purchaser)"), _name(contract.purchaser), contract.purchaser.uscc],
                [_("Party B (service agency)"), _name(contract.agency), contract.agency.uscc],
                *[[_("Partner community"), _name(c), c.uscc] for c in communities],
            ],
            [0.25 * width, 0.45 * width, 0.30 * width],
        ),
        p(_("2. Service, term and amount"), heading),
        table(
            [
                [_("Service category"), _name(contract.category)],
                [_("Program"), f"{_name(program, 'title')} ({program.fiscal_year})"],
                [
                    _("Term"),
                    _("from %(start)s to %(end)s")
                    % {"start": contract.starts_on.isoformat(), "end": contract.ends_on.isoformat()},
                ],
                [_("Contract amount (in figures)"), format_cny(contract.amount)],
                [
                    _("Contract amount (in capitals)"),
                    _("RMB %(capitals)s") % {"capitals": capital_cny(contract.amount)},
                ],
                [_("Matching funds"), format_cny(contract.matching_funds)],
            ],
            [0.30 * width, 0.70 * width],
            header=False,
        ),
        p(_("3. Budget lines"), heading),
        table(
            [
                [_("Head"), _("Description"), _("Amount")],
                *[[heads.get(line.head, line.head), line.description, format_cny(line.amount)] for line in lines],
                ["", _("Total"), format_cny(sum((line.amount for line in lines), Decimal("0.00")))],
            ],
            [0.20 * width, 0.55 * width, 0.25 * width],
        ),
        p(_("4. Milestones and payment tranches"), heading),
        table(
            [
                [_("Tranche"), _("Milestone"), _("Due on"), _("Share"), _("Planned amount")],
                *[
                    [
                        str(t.position),
                        t.milestone.get_kind_display(),
                        t.milestone.due_on.isoformat(),
                        _percent(t.percent),
                        format_cny(t.planned),
                    ]
                    for t in tranches
                ],
            ],
            [0.12 * width, 0.22 * width, 0.22 * width, 0.14 * width, 0.30 * width],
        ),
        Spacer(1, 3 * mm),
        p(_grade_rule(program.grade_factors), body),
        p(_("5. Indicators and targets"), heading),
    ]
    if indicators:
        story.append(
            table(
                [
                    [_("Indicator"), _("Kind"), _("Measured by"), _("Target")],
                    *[
                        [i.name, i.get_kind_display(), i.get_measure_display(), f"{_quantity(i.target)} {i.unit}"]
                        for i in indicators
                    ],
                ],
                [0.40 * width, 0.15 * width, 0.25 * width, 0.20 * width],
            )
        )
    else:
        story.append(p(_("No indicators."), body))
    if changes:
        story += [
            p(_("6. Changes agreed"), heading),
            table(
                [
                    [_("Change"), _("Details"), _("Reason")],
                    *[[c.get_kind_display(), _change_details(c), c.reason] for c in changes],
                ],
                [0.20 * width, 0.45 * width, 0.35 * width],
            ),
        ]
    story.append(KeepTogether([p(_("Signatures and seals"), heading), _signature_blocks(kit, contract, communities)]))

    return kit.build(story, title=contract.number, author=_name(contract.purchaser))


def _grade_rule(factors: dict[str, Any]) -> str:
    from grassroots.evaluation.models import Grade

    parts = [
        _("%(grade)s %(share)s") % {"grade": label, "share": _percent(Decimal(str(factors[value])) * 100)}
        for value, label in Grade.choices
        if value in factors
    ]
    separator = ", " if (get_language() or "").startswith("en") else "，"
    return _(
        "The last tranche is paid according to the grade of the final evaluation, as a share of its planned "
        "amount: %(rule)s."
    ) % {"rule": separator.join(parts)}


def _change_details(change: ChangeRequest) -> str:
    if change.kind == ChangeRequest.Kind.REALLOCATION and change.source and change.target:
        return _("%(amount)s moved from “%(source)s” to “%(target)s”") % {
            "amount": format_cny(change.amount),
            "source": change.source.description,
            "target": change.target.description,
        }
    if change.kind == ChangeRequest.Kind.EXTENSION and change.new_ends_on:
        return _("term extended to %(d)s") % {"d": change.new_ends_on.isoformat()}
    return _("settlement %(amount)s") % {"amount": format_cny(change.amount)}


def _signature_blocks(kit: Kit, contract: Contract, communities: list[Any]) -> Any:
    def block(role: str, org: Any) -> list[Any]:
        return [
            kit.p(_("%(role)s: %(name)s") % {"role": role, "name": _name(org)}, kit.body),
            kit.p(_("(seal)"), kit.body),
            kit.p(_("Legal representative or authorised agent (signature): ____________"), kit.body),
            kit.p(_("Date: ______ year ____ month ____ day"), kit.body),
        ]

    blocks = [
        block(_("Party A (purchaser)"), contract.purchaser),
        block(_("Party B (service agency)"), contract.agency),
    ]
    blocks += [block(_("Partner community"), c) for c in communities]
    return kit.signature_blocks(blocks)
