"""Governance analytics stores nothing: every figure is read from the other stages' tables.

The one thing it declares is the researcher's permission. Officers see the dashboards of their own
street or department (and a department those of its streets); a researcher — an analyst of the civil
affairs bureau, a university partner — needs every dashboard without acting for any organization, so
staff grant `governance.view_every_dashboard` to that login (or to a "Researchers" group) in the
administration. It is a Django permission rather than an organization role because a researcher holds
no office in the project system and must not gain any other right by it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dashboard(models.Model):
    """Carries the researcher's permission; no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_every_dashboard", _("Can see the governance dashboard of every street and department (researcher)"))
        ]
        verbose_name = _("governance dashboard")
        verbose_name_plural = _("governance dashboards")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
