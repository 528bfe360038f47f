"""Template helpers shared by every page: money, names in the reader's language, the demo hint."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import get_language

from grassroots.core.i18n import in_language, render_message
from grassroots.core.money import format_cny
from grassroots.web.lists import show_number
from grassroots.web.navigation import Link, account_of, links_for

register = template.Library()


@register.filter
def cny(amount: Decimal | None) -> str:
    """¥1,234.50 (— when there is no amount)."""
    return format_cny(amount)


@register.filter
def tr(obj: Any, attr: str = "name") -> str:
    """`obj.<attr>` in the reader's language (see `core.i18n.in_language`)."""
    return in_language(obj, attr)


@register.filter
def join_names(objects: Any, attr: str = "name") -> str:
    """The objects' names in the reader's language, joined as that language joins a list."""
    separator = ", " if (get_language() or "").startswith("en") else "、"
    return separator.join(tr(obj, attr) for obj in objects) or "—"


@register.filter
def contract_title(contract: Any) -> str:
    """A contract's title; in English, the English title of its application when the title is the application's."""
    application = contract.award.application
    if contract.title == application.title:
        return tr(application, "title")
    return str(contract.title)


@register.simple_tag
def demo_is_loaded() -> bool:
    """Whether the S Street demo is in the database, so the login page can point to its logins."""
    try:
        from grassroots import demo

        return bool(demo.is_loaded())
    except Exception:  # the demo is an extra: a login page must never fail because of it
        return False


@register.simple_tag
def account(user: Any) -> dict[str, Any]:
    """Who is logged in, for the header: their person, current memberships and expert-pool entry."""
    found = account_of(user)
    return {"person": found.person, "memberships": found.memberships, "expert": found.expert}


@register.simple_tag
def main_nav(user: Any) -> list[Link]:
    """The main navigation's links for `user`'s roles (see `web.navigation`)."""
    return links_for(user)


@register.filter
def num(value: Any) -> str:
    """A count or measure grouped by thousands in the reader's language: 12,345 · 1,234.5 (— for none)."""
    return show_number(value)


@register.filter
def message(stored: Any) -> str:
    """A stored finding or reason in the reader's language."""
    return render_message(stored)


@register.filter
def percent(share: Any) -> str:
    """0.4567 → 46%."""
    if share is None:
        return "—"
    return f"{float(share) * 100:.0f}%"
