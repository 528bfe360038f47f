"""Loading the URLs (every process's cold start) does not import matplotlib: only drawing a plot does."""

from __future__ import annotations

import os
import subprocess
import sys

CHECK = """
import sys
import django
django.setup()
import grassroots.urls  # noqa: F401
from django.urls import reverse
reverse("simulation-home")
print("matplotlib" in sys.modules)
"""


def test_importing_the_urls_does_not_import_matplotlib() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "grassroots.settings"}
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
