"""Indicator systems as data: a tree of dimensions, indicators and sub-indicators carrying points.

The top level's points add up to 100 and every node's children add up to the node's own points, so the
leaves (the indicators that are scored) add up to 100 as well and a total is simply the sum of the
points the leaves earned. A leaf says where its score comes from: the evaluator (``manual``), the
delivery data (``computed``, with a metric of `computed.METRICS`) or the satisfaction surveys
(``survey``, with a metric of `computed.SURVEY_METRICS`). Plain data, no Django: the same checks serve
the editing page, the spreadsheet upload and the services.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from grassroots.core.messages import Message, gettext_noop

from .computed import METRICS, SURVEY_METRICS

SOURCES = ("manual", "computed", "survey")
MAX_DEPTH = 3
CENT = Decimal("0.01")
HUNDRED = Decimal(100)

NO_NODES = gettext_noop("the indicator system has no indicators")
BAD_CODE = gettext_noop("row %(row)s: a code is letters, digits, “-” or “_” (at most 40)")
DUPLICATE_CODE = gettext_noop("code “%(code)s” is used twice")
UNKNOWN_PARENT = gettext_noop("“%(code)s”: its parent “%(parent)s” does not exist")
TOO_DEEP = gettext_noop("“%(code)s” is deeper than %(depth)s levels")
CYCLE = gettext_noop("“%(code)s” is its own ancestor")
NO_NAME = gettext_noop("“%(code)s” needs a name")
BAD_WEIGHT = gettext_noop("“%(code)s”: points must be a positive number with at most two decimals, not “%(weight)s”")
TOP_SUM = gettext_noop("the top-level points add up to %(sum)s, not 100")
CHILD_SUM = gettext_noop("the points under “%(code)s” add up to %(sum)s, not its %(weight)s")
BAD_SOURCE = gettext_noop("“%(code)s”: the source must be manual, computed or survey")
GROUP_SOURCE = gettext_noop("“%(code)s” has sub-indicators, so it is scored through them and takes no source")
BAD_METRIC = gettext_noop("“%(code)s”: “%(metric)s” is not a %(source)s metric")
NEEDS_METRIC = gettext_noop("“%(code)s”: a %(source)s indicator needs a metric")


@dataclass(frozen=True)
class Node:
    """One row of an indicator system; `parent` is the parent's code ("" at the top)."""

    code: str
    name: str
    weight: Decimal
    parent: str = ""
    name_en: str = ""
    source: str = ""  # "" for a node with children
    metric: str = ""
    rubric: str = ""
    rubric_en: str = ""


def _valid_code(code: str) -> bool:
    return 0 < len(code) <= 40 and all(ch.isalnum() or ch in "-_" for ch in code)


def parse_weight(value: object) -> Decimal | None:
    """Points as an exact decimal, or None when the value is not a usable number."""
    try:
        weight = Decimal(str(value).strip())
        # (quantize refuses a number too large for the context, such as 1e30: not usable either)
        if not weight.is_finite() or weight <= 0 or weight != weight.quantize(CENT):
            return None
    except (InvalidOperation, ValueError):
        return None
    return weight


def children_of(nodes: Iterable[Node]) -> dict[str, list[Node]]:
    out: dict[str, list[Node]] = defaultdict(list)
    for node in nodes:
        out[node.parent].append(node)
    return out


def leaves(nodes: Sequence[Node]) -> list[Node]:
    """The scored indicators: nodes without children, in the given order."""
    parents = {n.parent for n in nodes}
    return [n for n in nodes if n.code not in parents]


def depth_of(nodes: Sequence[Node]) -> dict[str, int]:
    """Level of each node (1 at the top); nodes on a cycle or under a missing parent are absent."""
    by_code = {n.code: n for n in nodes}
    out: dict[str, int] = {}
    for node in nodes:
        seen: set[str] = set()
        level, current = 1, node
        while current.parent:
            if current.parent not in by_code or current.code in seen:
                break
            seen.add(current.code)
            current = by_code[current.parent]
            level += 1
        else:
            out[node.code] = level
    return out


def _on_cycle(node: Node, by_code: dict[str, Node]) -> bool:
    """Whether following the parents from `node` leads back to it (a node merely under a cycle or under a
    missing parent is not on one: the problem is reported where it is)."""
    seen: set[str] = set()
    current = node
    while current.parent in by_code and current.code not in seen:
        seen.add(current.code)
        current = by_code[current.parent]
        if current.code == node.code:
            return True
    return False


def problems(nodes: Sequence[Node]) -> list[Message]:
    """Everything wrong with an indicator system, each said once; empty when it may be used."""
    found: list[Message] = []
    if not nodes:
        return [Message(NO_NODES)]
    seen: set[str] = set()
    for row, node in enumerate(nodes, start=1):
        if not _valid_code(node.code):
            found.append(Message(BAD_CODE, row=row))
        elif node.code in seen:
            found.append(Message(DUPLICATE_CODE, code=node.code))
        seen.add(node.code)
        if not node.name.strip():
            found.append(Message(NO_NAME, code=node.code))
        if parse_weight(node.weight) is None:
            found.append(Message(BAD_WEIGHT, code=node.code, weight=node.weight))
    if found:
        return found
    by_code = {n.code: n for n in nodes}
    for node in nodes:
        if node.parent and node.parent not in by_code:
            found.append(Message(UNKNOWN_PARENT, code=node.code, parent=node.parent))
    levels = depth_of(nodes)
    for node in nodes:
        if _on_cycle(node, by_code):
            found.append(Message(CYCLE, code=node.code))
        elif levels.get(node.code, 0) > MAX_DEPTH:
            found.append(Message(TOO_DEEP, code=node.code, depth=MAX_DEPTH))
    if found:
        return found
    kids = children_of(nodes)
    top = sum((n.weight for n in kids[""]), Decimal(0))
    if top != HUNDRED:
        found.append(Message(TOP_SUM, sum=_plain(top)))
    for node in nodes:
        if node.code in kids:
            under = sum((n.weight for n in kids[node.code]), Decimal(0))
            if under != node.weight:
                found.append(Message(CHILD_SUM, code=node.code, sum=_plain(under), weight=_plain(node.weight)))
            if node.source or node.metric:
                found.append(Message(GROUP_SOURCE, code=node.code))
            continue
        found.extend(_leaf_problems(node))
    return found


def _leaf_problems(node: Node) -> list[Message]:
    if node.source not in SOURCES:
        return [Message(BAD_SOURCE, code=node.code)]
    if node.source == "manual":
        return []
    allowed: Collection[str] = METRICS if node.source == "computed" else SURVEY_METRICS
    if not node.metric:
        return [Message(NEEDS_METRIC, code=node.code, source=node.source)]
    if node.metric not in allowed:
        return [Message(BAD_METRIC, code=node.code, metric=node.metric, source=node.source)]
    return []


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def points(weight: Decimal, attainment: Decimal) -> Decimal:
    """The points a leaf earns for an attainment between 0 and 1, to the cent, half up."""
    return (weight * max(Decimal(0), min(Decimal(1), attainment))).quantize(CENT, rounding=ROUND_HALF_UP)


def total(earned: Iterable[Decimal]) -> Decimal:
    """The evaluation's total: the sum of the points the leaves earned (they are out of 100 together)."""
    return sum(earned, Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)


def subtotals(nodes: Sequence[Node], earned: dict[str, Decimal]) -> dict[str, Decimal]:
    """Points earned by every node, groups summing their children (leaves missing from `earned` count 0)."""
    kids = children_of(nodes)
    out: dict[str, Decimal] = {}

    def walk(node: Node) -> Decimal:
        if node.code in kids:
            value = sum((walk(child) for child in kids[node.code]), Decimal(0))
        else:
            value = earned.get(node.code, Decimal(0))
        out[node.code] = value
        return value

    for node in kids[""]:
        walk(node)
    return out


def ordered(nodes: Sequence[Node]) -> list[tuple[int, Node]]:
    """Depth-first order with levels, as a report or an editing table lists the tree."""
    kids = children_of(nodes)
    out: list[tuple[int, Node]] = []

    def walk(node: Node, level: int) -> None:
        out.append((level, node))
        for child in kids.get(node.code, []):
            walk(child, level + 1)

    for node in kids[""]:
        walk(node, 1)
    return out


def _n(
    code: str, parent: str, name: str, name_en: str, weight: str, source: str = "", metric: str = "", *rubric: str
) -> Node:
    zh, en = (*rubric, "", "")[:2]
    return Node(code, name, Decimal(weight), parent, name_en, source, metric, zh, en)


#: 社会工作服务项目绩效评估指标体系: the default a department copies for its programs.
DEFAULT_NAME = ("社会工作服务项目绩效评估指标体系", "Social-work service project performance evaluation")
DEFAULT_SYSTEM: tuple[Node, ...] = (
    _n("management", "", "项目管理", "Project management", "15"),
    _n(
        "plan", "management", "项目计划与执行", "Plan and its execution", "5", "manual", "",
        "计划清晰、按计划推进得满分；基本按计划推进得3分；明显滞后得0—2分。",
        "A clear plan followed: full points; mostly followed: 3; clearly behind: 0-2.",
    ),
    _n(
        "team", "management", "团队配置与专业督导", "Team and professional supervision", "5", "manual", "",
        "持证社工比例、人员稳定性与督导频次达到合同约定得满分，按差距扣分。",
        "Certified staff, stability and supervision as contracted: full points; deducted by the gap.",
    ),
    _n(
        "milestones", "management", "节点按期完成", "Milestones on time", "5", "computed", "milestones_on_time",
        "按期验收的节点占已到期节点的比例（宽限15日）。",
        "Share of the milestones due that were accepted on time (15 days' grace).",
    ),
    _n("outputs", "", "服务开展与产出", "Service delivery and outputs", "30"),
    _n(
        "targets", "outputs", "产出指标完成率", "Output targets met", "15", "computed", "targets_met",
        "各产出指标实际值与（按期进度折算的）目标值之比的平均，单项最高100%。",
        "Mean of actual ÷ target (pro-rated to the evaluation date) over the output indicators, each capped at 100%.",
    ),
    _n(
        "participation", "outputs", "居民与志愿者参与", "Resident and volunteer participation", "10", "computed",
        "participation",
        "有居民或志愿者参与的小组及社区活动占全部小组及社区活动的比例。",
        "Share of group and community sessions in which residents or volunteers took part.",
    ),
    _n(
        "records", "outputs", "服务档案规范", "Service records kept properly", "5", "manual", "",
        "抽查个案、小组、社区活动档案，完整规范得满分，每处缺漏扣1分。",
        "Sampled case, group and community files: complete and orderly for full points; 1 point off per gap.",
    ),
    _n("outcomes", "", "服务成效", "Outcomes", "25"),
    _n(
        "change", "outcomes", "服务对象改变与目标达成", "Change in those served; goals reached", "15", "manual", "",
        "依据前后测、个案评估与访谈判断项目目标达成程度。",
        "Judged from before/after measures, case assessments and interviews.",
    ),
    _n(
        "capacity", "outcomes", "社区能力与可持续性", "Community capacity and sustainability", "10", "manual", "",
        "培育居民骨干、社区社会组织与志愿队伍，形成可持续机制。",
        "Resident leaders, community groups and volunteer teams grown; lasting arrangements made.",
    ),
    _n("satisfaction", "", "满意度", "Satisfaction", "15"),
    _n(
        "residents", "satisfaction", "服务对象与居民满意度", "Satisfaction of residents served", "10", "survey",
        "satisfied_share",
        "问卷中“满意”与“非常满意”的比例；有效问卷不足时由评估方依据访谈评分。",
        "Share of “satisfied” and “very satisfied” survey answers; scored from interviews when too few answers.",
    ),
    _n(
        "partners", "satisfaction", "社区与街道满意度", "Satisfaction of community and street", "5", "manual", "",
        "访谈社区居委会与街道，对合作与沟通的评价。",
        "Interviews with the community committee and the street office about cooperation.",
    ),
    _n("finance", "", "财务管理", "Financial management", "15"),
    _n(
        "execution", "finance", "预算执行率", "Budget execution", "5", "computed", "budget_execution",
        "已支出÷（按期进度折算的）预算，达到90%得满分，不足按比例。",
        "Spent ÷ budget pro-rated to the evaluation date: 90% or more for full points, less in proportion.",
    ),
    _n(
        "receipts", "finance", "支出凭证完整", "Receipts for spending", "5", "computed", "receipts",
        "有发票号或凭证附件的支出金额占全部支出的比例。",
        "Share of the amount spent backed by a receipt number or an attached receipt.",
    ),
    _n(
        "compliance", "finance", "专款专用与财务制度", "Funds used as budgeted; financial rules", "5", "manual", "",
        "专账核算、无挪用、调整经审批得满分。",
        "Separate accounts, no diversion, changes approved: full points.",
    ),
)  # fmt: skip
