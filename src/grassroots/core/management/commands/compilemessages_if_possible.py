"""Compile the translations when GNU gettext is present, so a fresh checkout shows Chinese and English."""

from __future__ import annotations

import shutil
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from grassroots.settings import PACKAGE_DIR


class Command(BaseCommand):
    help = "Compile .po files to .mo where they are missing or older (needs msgfmt)."

    def handle(self, *args: Any, **options: Any) -> None:
        locale = PACKAGE_DIR / "locale"
        if not locale.exists():
            return
        stale = [
            po
            for po in locale.rglob("*.po")
            if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
        ]
        if not stale:
            return
        if shutil.which("msgfmt") is None:
            self.stderr.write("msgfmt (GNU gettext) is missing: pages will show English only.")
            return
        call_command("compilemessages", locale=["zh_Hans", "en"], verbosity=0, ignore_patterns=[".venv/*"])
