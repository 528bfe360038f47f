"""Reads of awards: the list a call publicises (公示) and then decides."""

from __future__ import annotations

from grassroots.funding.models import Call

from .models import Award, AwardList


def public_list(call: Call) -> AwardList | None:
    """The award list under publicity or decided: public by nature, so everyone may object or check it."""
    return (
        AwardList.objects.filter(call=call, state__in=[AwardList.State.PUBLICITY, AwardList.State.DECIDED])
        .order_by("-pk")
        .first()
    )


def awards_on(award_list: AwardList) -> list[Award]:
    return list(
        award_list.awards.exclude(state=Award.State.REVOKED)
        .select_related("application", "application__lead_agency")
        .order_by("application__rank", "application__reference")
    )
