"""A comparison of two scenarios run from the page: what was asked, its state, and the results."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SimulationRun(models.Model):
    """Two scenarios run side by side with the same years, runs and seed (so with the same random draws)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        State.QUEUED: {State.RUNNING, State.FAILED},
        State.RUNNING: {State.DONE, State.FAILED},
        State.DONE: set(),
        State.FAILED: set(),
    }

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="simulation_runs",
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    years = models.PositiveSmallIntegerField(_("years"))
    runs = models.PositiveSmallIntegerField(_("runs"))
    seed = models.PositiveIntegerField(_("seed"))
    left_scenario = models.CharField(_("scenario A"), max_length=100)
    left_changes = models.JSONField(_("changes to scenario A"), default=dict, blank=True)
    right_scenario = models.CharField(_("scenario B"), max_length=100)
    right_changes = models.JSONField(_("changes to scenario B"), default=dict, blank=True)
    results = models.JSONField(_("results"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("simulation run")
        verbose_name_plural = _("simulation runs")

    def __str__(self) -> str:
        return f"{self.left_scenario} / {self.right_scenario} #{self.pk}"
