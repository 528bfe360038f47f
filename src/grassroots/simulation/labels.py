"""The governance metrics' labels marked for the catalogue, so pages and plots show them translated.

`governance.metrics` keeps its labels in plain English (no Django there); a test keeps this table equal
to `metrics.METRICS`.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

METRIC_LABELS = {
    "applications_per_call": _("Applications per call"),
    "success_rate": _("Success rate"),
    "award_hhi": _("Concentration of awards (HHI)"),
    "community_gini": _("Gini of funds across communities"),
    "linkage_density": _("Linkage density"),
    "tie_persistence": _("Tie persistence"),
    "agency_embeddedness": _("Agency embeddedness"),
    "project_continuation": _("Project continuation"),
    "cofunding_share": _("Co-funding share"),
    "volunteer_hours_per_1000": _("Volunteer hours per 1,000 residents"),
    "resident_participation_per_1000": _("Resident participation per 1,000 residents"),
    "needs_alignment": _("Needs alignment"),
    "mean_final_score": _("Mean final score"),
    "fail_rate": _("Fail rate"),
}
