"""The Simplified Chinese catalogue holds a translation for every message, with the same placeholders."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

from grassroots.settings import PACKAGE_DIR

CATALOGUE = PACKAGE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[#0\- +]*\d*(?:\.\d+)?[sdrifg%]")


@dataclass
class Entry:
    flags: set[str] = field(default_factory=set)
    msgid: str = ""
    msgid_plural: str = ""
    msgstr: list[str] = field(default_factory=list)


def read_po(path: Path) -> list[Entry]:
    """A small reader of the PO format as makemessages writes it (no obsolete entries are expected)."""
    entries: list[Entry] = []
    current = Entry()
    target: str | None = None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if target is not None:
                entries.append(current)
            current, target = Entry(), None
        elif line.startswith("#,"):
            current.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            target, current.msgid_plural = "msgid_plural", ast.literal_eval(line[13:])
        elif line.startswith("msgid "):
            target, current.msgid = "msgid", ast.literal_eval(line[6:])
        elif line.startswith("msgstr"):
            target = "msgstr"
            current.msgstr.append(ast.literal_eval(line.split(" ", 1)[1]))
        elif line.startswith('"') and target == "msgstr":
            current.msgstr[-1] += ast.literal_eval(line)
        elif line.startswith('"') and target in ("msgid", "msgid_plural"):
            setattr(current, target, getattr(current, target) + ast.literal_eval(line))
    return entries


def test_every_message_is_translated_into_chinese() -> None:
    entries = read_po(CATALOGUE)
    header, messages = entries[0], entries[1:]
    assert header.msgid == "" and "Plural-Forms: nplurals=1; plural=0;" in header.msgstr[0]
    assert len(messages) > 500
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert not fuzzy
    untranslated = [e.msgid for e in messages if not all(e.msgstr)]
    assert not untranslated
    for e in messages:
        if "python-format" in e.flags or "python-brace-format" in e.flags:
            # Chinese has one plural form: it stands for the plural, so it carries the plural's placeholders.
            wanted = sorted(PLACEHOLDER.findall(e.msgid_plural or e.msgid))
            for text in e.msgstr:
                assert sorted(PLACEHOLDER.findall(text)) == wanted, e.msgid


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("My work", "我的工作"),
        ("lead agency", "牵头机构"),
        ("Excellent", "优秀"),
        ("In publicity", "公示中"),
        ("tranche", "拨付批次"),
        ("consultation meeting", "议事协商会议"),
    ],
)
def test_domain_terms_read_as_the_field_says_them(english: str, chinese: str) -> None:
    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is missing (`.ci/run` installs it)")
@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_catalogues_compile(language: str) -> None:
    """What `make` compiles: msgfmt refuses a translation whose placeholders do not match."""
    po = PACKAGE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(po)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
