"""Indicator systems, third-party evaluations with their scored items and findings, satisfaction surveys,
and the agency's performance record an accepted final evaluation produces."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from grassroots.orgs.models import Organization


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")


class Source(models.TextChoices):
    MANUAL = "manual", _("Scored by the evaluator")
    COMPUTED = "computed", _("Computed from delivery data")
    SURVEY = "survey", _("From satisfaction surveys")


class IndicatorSystem(models.Model):
    """A program's own indicator system (copied from the default or another program's), frozen once a call opens."""

    program = models.OneToOneField(
        "funding.Program", verbose_name=_("program"), on_delete=models.CASCADE, related_name="indicator_system"
    )
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    copied_from = models.ForeignKey(
        "self", verbose_name=_("copied from"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    frozen_on = models.DateField(_("frozen on"), null=True, blank=True)

    class Meta:
        verbose_name = _("indicator system")
        verbose_name_plural = _("indicator systems")

    def __str__(self) -> str:
        return self.name


class IndicatorNode(models.Model):
    """A dimension, indicator or sub-indicator; `parent_code` names its parent in the same system."""

    system = models.ForeignKey(
        IndicatorSystem, verbose_name=_("indicator system"), on_delete=models.CASCADE, related_name="nodes"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(_("code"), max_length=40)
    parent_code = models.CharField(_("parent"), max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    weight = models.DecimalField(_("points"), max_digits=5, decimal_places=2)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    metric = models.CharField(_("metric"), max_length=40, blank=True)
    rubric = models.TextField(_("scoring rubric"), blank=True)
    rubric_en = models.TextField(_("English scoring rubric"), blank=True)

    class Meta:
        ordering = ["system", "position"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [models.UniqueConstraint(fields=["system", "code"], name="one_indicator_per_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Evaluation(models.Model):
    class Kind(models.TextChoices):
        MIDTERM = "midterm", _("Mid-term")
        FINAL = "final", _("Final")

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.ASSIGNED: {State.SUBMITTED},
        State.SUBMITTED: {State.ACCEPTED, State.ASSIGNED},
        State.ACCEPTED: set(),
    }

    contract = models.ForeignKey(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="evaluations"
    )
    evaluator = models.ForeignKey(
        Organization, verbose_name=_("evaluator"), on_delete=models.PROTECT, related_name="evaluations"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.ASSIGNED)
    system = models.ForeignKey(
        IndicatorSystem,
        verbose_name=_("indicator system"),
        on_delete=models.PROTECT,
        related_name="evaluations",
        null=True,
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    score = models.DecimalField(_("total score"), max_digits=5, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    returned_because = models.TextField(_("returned because"), blank=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [models.UniqueConstraint(fields=["contract", "kind"], name="one_evaluation_per_kind")]

    def __str__(self) -> str:
        return f"{self.contract.number} · {self.get_kind_display()}"


class EvaluationItem(models.Model):
    """One node of the evaluation's indicator system, copied when the evaluation was assigned.

    A leaf earns `points` out of its `weight`; a computed or survey leaf also keeps what the data gave
    (`computed_points` with its `basis`), so an evaluator's override stays visible. Groups carry no points
    of their own: the report sums their children.
    """

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    code = models.CharField(_("code"), max_length=40)
    parent_code = models.CharField(_("parent"), max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    weight = models.DecimalField(_("points"), max_digits=5, decimal_places=2)
    is_leaf = models.BooleanField(_("scored"), default=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    metric = models.CharField(_("metric"), max_length=40, blank=True)
    rubric = models.TextField(_("scoring rubric"), blank=True)
    rubric_en = models.TextField(_("English scoring rubric"), blank=True)
    computed_points = models.DecimalField(
        _("points from the data"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    basis = models.JSONField(_("basis"), null=True, blank=True)
    points = models.DecimalField(_("points earned"), max_digits=5, decimal_places=2, null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["evaluation", "position"]
        verbose_name = _("evaluation item")
        verbose_name_plural = _("evaluation items")
        constraints = [models.UniqueConstraint(fields=["evaluation", "code"], name="one_item_per_code")]

    def __str__(self) -> str:
        return f"{self.name}: {self.points}/{self.weight}"

    @property
    def overridden(self) -> bool:
        return self.computed_points is not None and self.points is not None and self.points != self.computed_points


class Finding(models.Model):
    """What an evaluation found; one that requires rectification (整改) has a deadline and a follow-up."""

    class State(models.TextChoices):
        NOTED = "noted", _("Noted")
        OPEN = "open", _("Rectification due")
        RESPONDED = "responded", _("Rectification reported")
        CLOSED = "closed", _("Rectified")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.NOTED: set(),
        State.OPEN: {State.RESPONDED},
        State.RESPONDED: {State.CLOSED, State.OPEN},
        State.CLOSED: set(),
    }

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="findings"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.TextField(_("finding"))
    requirement = models.TextField(_("rectification required"), blank=True)
    due_on = models.DateField(_("rectify by"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.NOTED)
    response = models.TextField(_("rectification report"), blank=True)
    responded_on = models.DateField(_("reported on"), null=True, blank=True)
    verdict = models.TextField(_("follow-up"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        ordering = ["evaluation", "position"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return self.text[:60]


class Survey(models.Model):
    """A satisfaction survey of an evaluation, answered anonymously with one-time tokens."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.DRAFT: {State.OPEN},
        State.OPEN: {State.CLOSED},
        State.CLOSED: set(),
    }

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="surveys"
    )
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    scale = models.PositiveSmallIntegerField(_("scale"), default=5)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    salt = models.CharField(max_length=32, editable=False)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")

    def __str__(self) -> str:
        return self.title


class SurveyQuestion(models.Model):
    class Kind(models.TextChoices):
        LIKERT = "likert", _("Rating")
        TEXT = "text", _("Free text")

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=300)
    text_en = models.CharField(_("English question"), max_length=300, blank=True)

    class Meta:
        ordering = ["survey", "position"]
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")

    def __str__(self) -> str:
        return self.text


class SurveyToken(models.Model):
    """A printed one-time token: only its digest and whether it was used, never which answer it gave."""

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="tokens")
    serial = models.PositiveIntegerField(_("serial number"))
    digest = models.CharField(max_length=64, unique=True, editable=False)
    handed_to = models.CharField(_("handed to"), max_length=200, blank=True)
    used = models.BooleanField(_("used"), default=False)

    class Meta:
        ordering = ["survey", "serial"]
        verbose_name = _("survey token")
        verbose_name_plural = _("survey tokens")
        constraints = [models.UniqueConstraint(fields=["survey", "serial"], name="one_token_per_serial")]

    def __str__(self) -> str:
        return f"{self.survey} #{self.serial}"


class SurveyResponse(models.Model):
    """One anonymous response: a random id, no time, no token, no person (so nothing can link it back)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="responses")

    class Meta:
        ordering = ["id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self) -> str:
        return str(self.survey)


class SurveyAnswer(models.Model):
    """One answer of a response; a random id too, so not even the numbering tells the order of answers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(
        SurveyResponse, verbose_name=_("response"), on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        SurveyQuestion, verbose_name=_("question"), on_delete=models.CASCADE, related_name="answers"
    )
    value = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    text = models.TextField(_("answer"), blank=True)

    class Meta:
        ordering = ["question", "response"]
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question")]

    def __str__(self) -> str:
        return str(self.value if self.value is not None else self.text[:40])


class PerformanceRecord(models.Model):
    """An agency's result on one contract, which later reviews read (the incentive loop)."""

    agency = models.ForeignKey(
        Organization, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="performance_records"
    )
    contract = models.OneToOneField(
        "contracts.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="performance_record"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    grade = models.CharField(_("grade"), max_length=20, choices=Grade.choices)

    class Meta:
        ordering = ["-fiscal_year"]
        verbose_name = _("performance record")
        verbose_name_plural = _("performance records")

    def __str__(self) -> str:
        return f"{self.agency} {self.fiscal_year}: {self.get_grade_display()}"
