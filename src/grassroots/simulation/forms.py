"""The comparison form: two scenarios, each with its parameter changes, and the size of the run."""

from __future__ import annotations

import tomllib
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import params
from .services import LIMITS

CHANGES_HELP = _("One change per line, as name = value: contract_years = 3, joint_credit = true. Empty for none.")


def _choices() -> list[tuple[str, str]]:
    return [(name, name) for name in params.shipped()]


def parse_changes(text: str) -> dict[str, Any]:
    """`name = value` lines (TOML) into a dict; the parameters themselves are checked by the service."""
    try:
        data = tomllib.loads(text or "")
    except tomllib.TOMLDecodeError as exc:
        raise forms.ValidationError(
            _("Write one change per line as name = value (%(problem)s).") % {"problem": exc}
        ) from None
    return dict(data)


class ComparisonForm(forms.Form):
    left = forms.ChoiceField(label=_("Scenario A"), choices=_choices)
    left_changes = forms.CharField(
        label=_("Changes to scenario A"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=CHANGES_HELP,
    )
    right = forms.ChoiceField(label=_("Scenario B"), choices=_choices)
    right_changes = forms.CharField(
        label=_("Changes to scenario B"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=CHANGES_HELP,
    )
    years = forms.IntegerField(label=_("Years"), min_value=1, max_value=LIMITS["years"], initial=10)
    runs = forms.IntegerField(label=_("Runs per scenario"), min_value=1, max_value=LIMITS["runs"], initial=5)
    seed = forms.IntegerField(label=_("Seed"), min_value=0, max_value=2**31 - 1, initial=1)

    def clean_left_changes(self) -> dict[str, Any]:
        return parse_changes(self.cleaned_data.get("left_changes", ""))

    def clean_right_changes(self) -> dict[str, Any]:
        return parse_changes(self.cleaned_data.get("right_changes", ""))
