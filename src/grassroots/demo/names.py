"""Names for the S Street, W City scenario, each with its English rendering."""

from __future__ import annotations

SURNAMES = [
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"), ("黄", "Huang"),
    ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"), ("马", "Ma"), ("朱", "Zhu"),
    ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("林", "Lin"), ("高", "Gao"), ("罗", "Luo"), ("郑", "Zheng"),
    ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"), ("唐", "Tang"), ("许", "Xu"), ("韩", "Han"), ("冯", "Feng"),
]  # fmt: skip

GIVEN = [
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"), ("丽", "Li"), ("强", "Qiang"),
    ("磊", "Lei"), ("洋", "Yang"), ("艳", "Yan"), ("勇", "Yong"), ("军", "Jun"), ("杰", "Jie"), ("娟", "Juan"),
    ("涛", "Tao"), ("明", "Ming"), ("超", "Chao"), ("秀英", "Xiuying"), ("华", "Hua"), ("慧", "Hui"),
    ("婷", "Ting"), ("雪", "Xue"), ("晨", "Chen"), ("宇", "Yu"), ("欣", "Xin"), ("佳", "Jia"), ("浩", "Hao"),
    ("琳", "Lin"), ("建国", "Jianguo"), ("桂兰", "Guilan"), ("志强", "Zhiqiang"), ("文静", "Wenjing"),
]  # fmt: skip

DEPARTMENT = ("W市X区民政局", "Civil Affairs Bureau of X District, W City")
STREET = ("S街道办事处", "S Street Office")
EVALUATOR = ("明鉴社会服务评估中心", "Mingjian Social Service Evaluation Centre")

COMMUNITIES = [
    ("梧桐社区", "Wutong Community", 9200),
    ("桂花社区", "Guihua Community", 7600),
    ("新河社区", "Xinhe Community", 11800),
    ("青松社区", "Qingsong Community", 5400),
    ("丰乐社区", "Fengle Community", 8300),
    ("和平社区", "Heping Community", 6900),
    ("春晖社区", "Chunhui Community", 10200),
    ("锦绣社区", "Jinxiu Community", 4800),
]

# name, English name, specialities, quality (0-1: how well it writes and delivers)
AGENCIES = [
    ("阳光社会工作服务中心", "Sunshine Social Work Service Centre", ["elderly", "family"], 0.85),
    ("同心社工事务所", "Tongxin Social Work Agency", ["governance", "volunteer"], 0.75),
    ("乐龄社会工作服务社", "Leling Elderly Social Work Service", ["elderly", "disability"], 0.9),
    ("启航青少年服务中心", "Qihang Youth Service Centre", ["children", "family"], 0.7),
    ("善邻社区发展中心", "Good Neighbour Community Development Centre", ["governance", "migrants"], 0.6),
    ("康馨社会工作服务中心", "Kangxin Social Work Service Centre", ["disability", "assistance"], 0.5),
]

CATEGORIES = [
    ("elderly", "为老服务", "Services for older people"),
    ("children", "儿童青少年服务", "Children and youth"),
    ("disability", "助残服务", "Disability support"),
    ("family", "家庭服务", "Family services"),
    ("governance", "社区治理", "Community governance"),
    ("volunteer", "志愿服务培育", "Volunteer development"),
    ("assistance", "困难群众帮扶", "Support for people in hardship"),
    ("migrants", "流动人口融入", "Inclusion of migrant residents"),
]

# need templates per category: (title, English title)
NEEDS = {
    "elderly": [("独居老人探访与助餐", "Visits and meals for older people living alone"),
                ("老年人防跌倒与健康管理", "Fall prevention and health care for older residents")],
    "children": [("双职工家庭儿童课后托管", "After-school care for children of working parents"),
                 ("青少年网络沉迷预防", "Preventing internet addiction among teenagers")],
    "disability": [("残障人士康复与就业支持", "Rehabilitation and work support for disabled residents")],
    "family": [("家庭矛盾调解与亲子关系", "Family mediation and parenting support")],
    "governance": [("老旧小区加装电梯议事", "Deliberating lift installation in old blocks"),
                   ("楼道堆物与环境共治", "Cleaning stairwells together")],
    "volunteer": [("社区志愿者队伍培育", "Growing the community's volunteer teams")],
    "assistance": [("困难家庭帮扶与资源链接", "Support and resources for families in hardship")],
    "migrants": [("新市民社区融入", "Helping new residents settle into the community")],
}  # fmt: skip

CRITERIA = [
    ("需求契合度", "Fit with consulted needs", "25"),
    ("服务方案设计", "Service design", "25"),
    ("团队专业能力", "Team competence", "20"),
    ("预算合理性", "Budget soundness", "15"),
    ("三社联动与可持续性", "Linkage and sustainability", "15"),
]

# From the second year on, the agency's evaluated record counts (the incentive loop).
CRITERIA_WITH_RECORD = [
    ("需求契合度", "Fit with consulted needs", "25"),
    ("服务方案设计", "Service design", "25"),
    ("团队专业能力", "Team competence", "15"),
    ("预算合理性", "Budget soundness", "10"),
    ("三社联动与可持续性", "Linkage and sustainability", "10"),
    ("以往项目绩效", "Past performance", "15", "performance"),
]

EXPERT_FIELDS = [
    ("社会工作专业教授", "Professor of social work"),
    ("资深督导", "Senior supervisor"),
    ("财务审计师", "Financial auditor"),
    ("社区治理研究员", "Community governance researcher"),
    ("公共管理学者", "Public administration scholar"),
]
