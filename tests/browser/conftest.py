"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Chromium is the system's (`/usr/bin/chromium`, installed by `.ci/run`), never a browser Playwright
downloads; it runs headless with `--no-sandbox --disable-background-networking` because the machine has
no network to phone home to. Without it the tests are skipped and say why. Each test saves screenshots
under `test-artifacts/screenshots/` (kept by CI, ignored by git).

The data are committed (a transactional test), since the live server answers from its own thread.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API keeps an event loop in the test thread; the tests' own ORM calls are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("GRASSROOTS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
FLAGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def _missing() -> str:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Debian's Chromium is not at {CHROMIUM}: `.ci/run` installs it (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: `make venv` installs it"
    return ""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = _missing()
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def chromium(django_db_blocker: Any) -> Iterator[Any]:
    """One Chromium per module, started after the shared world of `tests/conftest.py` is rolled back.

    Playwright's sync API runs an event loop in this thread while the browser lives; Django then hands the
    thread other database connections, from which an earlier module's open world could not be reached.
    So the world is closed first, and the browser (and its loop) ends with the module.
    """
    from playwright.sync_api import sync_playwright

    from tests.conftest import _close_world

    _close_world(django_db_blocker)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


class Shots:
    """Numbered screenshots of one test, saved as artefacts."""

    def __init__(self, page: Any, name: str) -> None:
        self.page, self.name, self.count = page, re.sub(r"[^\w.-]+", "_", name), 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, label: str) -> Path:
        self.count += 1
        path = ARTIFACTS / f"{self.name}-{self.count:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        Shots(page, request.node.name)("failure")
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def shots(page: Any, request: pytest.FixtureRequest) -> Shots:
    return Shots(page, request.node.name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
