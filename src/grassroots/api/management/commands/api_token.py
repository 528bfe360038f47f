"""`grassroots manage api_token issue LOGIN --name NAME` (prints the token once), `list LOGIN`, `revoke ID`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from grassroots.api import selectors, services
from grassroots.api.models import ApiToken
from grassroots.core.errors import RuleViolation


class Command(BaseCommand):
    help = "Issue, list or revoke API tokens (issued by the platform staff, as the first superuser)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue", help="issue a token for a login and print it (shown only this once)")
        issue.add_argument("login")
        issue.add_argument("--name", required=True, help="where the token is used")
        listing = sub.add_parser("list", help="list a login's tokens")
        listing.add_argument("login")
        revoke = sub.add_parser("revoke", help="revoke a token by its id")
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        staff = get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if staff is None:
            raise CommandError(
                "no active superuser to issue tokens as: create one with `grassroots manage createsuperuser`"
            )
        try:
            if options["action"] == "issue":
                row, token = services.issue_token(staff, self._user(options["login"]), options["name"])
                self.stdout.write(token)
                self.stderr.write(f"token {row.pk} “{row.name}” issued for {row.owner.get_username()}; keep it safe")
            elif options["action"] == "list":
                for row in selectors.tokens_of(self._user(options["login"])):
                    state = "active" if row.active else f"revoked {row.revoked_at:%Y-%m-%d}"
                    self.stdout.write(f"{row.pk}\t{row.prefix}…\t{row.name}\t{state}")
            else:
                found = ApiToken.objects.filter(pk=options["id"]).first()
                if found is None:
                    raise CommandError(f"no token {options['id']}")
                services.revoke_token(staff, found)
                self.stdout.write(f"token {found.pk} revoked")
        except (RuleViolation, PermissionDenied) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from None

    def _user(self, login: str) -> Any:
        user = get_user_model().objects.filter(username=login).first()
        if user is None:
            raise CommandError(f"no login {login!r}")
        return user
