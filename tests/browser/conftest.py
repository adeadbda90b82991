"""Browser tests: Playwright drives Debian's chromium against pytest-django's live server, loaded with the demo
county (茂县). Every person logs in through the real login page, in a browser context of their own (a desktop one, or
a phone's 390×844 one); every test saves its screenshots, numbered in step order, under $PANHUO_SCREENSHOTS/<test>/
(by default artifacts/screenshots/<test>/, which git ignores and CI keeps)."""

import os
import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from demo.county import DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"  # Debian's package (Makefile: DEB_PACKAGES), not a browser Playwright downloads
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=zh-CN",  # the browser's own widgets (选择文件, 年/月/日) in Chinese, as a county clerk's browser shows them
]
# Screenshots go to $PANHUO_SCREENSHOTS (CI keeps that directory), by default the checkout's git-ignored artifacts/.
ARTIFACTS = Path(os.environ.get("PANHUO_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "artifacts/screenshots")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}  # a common phone's CSS pixels (issue 12 §6)
TIMEOUT_MS = 15_000  # one page or one wait; room for a slow CI machine, not for a slow page


@pytest.fixture(scope="module")
def browser(django_db_setup):
    """One chromium per module, driven by Playwright's sync API, whose event loop then runs in this thread. Django
    takes that for an async context, which matters twice while it lives:
    - the ORM refuses to run (the test's own queries, pytest-django's flush and serialized rollback): allowed;
    - `connections` keeps a separate set of connections per async context, and a fresh one lacks the test database's
      serialized contents, so serialized rollback would silently restore nothing (the demo county then misses its
      categories after another transactional test's flush). The thread's own connections are put back in place."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (DEB_PACKAGES).")
        pytest.skip(f"{CHROMIUM} is not installed (`make system-packages` installs it)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    own = {alias: connections[alias] for alias in connections}  # the wrappers pytest-django set up (no query)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            for alias, connection in own.items():
                connections[alias] = connection
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Tells the `county` fixture whether the test failed, so that it keeps a screenshot of where each person was.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


class County:
    """The demo county behind the live server, seen through one logged-in page per person."""

    def __init__(self, *, browser, base_url: str, shots: Path):
        self.browser, self.base_url, self.shots = browser, base_url, shots
        self.pages = {}
        self.shot_count = 0
        self.problems: list[str] = []  # JavaScript errors and server errors, seen by any page

    def url(self, path: str) -> str:
        return self.base_url + path

    def as_(self, username: str, *, phone: bool = False):
        """A page logged in as `username`, through /accounts/login/ the first time the test asks for them; `phone`: in
        a phone's browser (390×844, touch, the page's meta viewport obeyed), a context of its own."""
        key = (username, phone)
        if key in self.pages:
            return self.pages[key]
        device = {"viewport": PHONE, "is_mobile": True, "has_touch": True} if phone else {"viewport": DESKTOP}
        context = self.browser.new_context(**device, locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.problems.append(f"{username}: JavaScript error: {exc}"))
        # Anything the Content-Security-Policy blocks (an inline script, a script from elsewhere) is a defect.
        page.on("console", lambda message: self._check_console(username, message))
        page.on("response", lambda response: self._check_response(username, response))
        page.goto(self.url("/accounts/login/"))
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        # The home page greets them (checked every frame: see wait_for_text in test_paths.py).
        greeted = "() => document.querySelector('.ph-card h2')?.textContent.includes('您好')"
        page.wait_for_function(greeted, polling="raf")
        self.pages[key] = page
        return page

    def _check_console(self, username: str, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.append(f"{username}: {message.text[:300]}")

    def _check_response(self, username: str, response) -> None:
        if response.status >= 500:
            self.problems.append(f"{username}: HTTP {response.status} {response.request.method} {response.url}")

    def shot(self, page, slug: str) -> Path:
        """Saves the whole page as NN-slug.png, NN counting the test's screenshots."""
        self.shot_count += 1
        path = self.shots / f"{self.shot_count:02d}-{slug}.png"
        page.screenshot(path=path, full_page=True)
        return path

    def close(self, *, failed: bool) -> None:
        from playwright.sync_api import Error

        for (username, phone), page in self.pages.items():
            if failed:
                name = f"FAILED-{username}{'-phone' if phone else ''}.png"
                try:  # where each person was when the test failed; a stuck page must not hide the failure itself
                    page.screenshot(path=self.shots / name, full_page=True, timeout=5_000)
                except Error:
                    pass
            page.context.close()


@pytest.fixture
def county(request, browser, live_server):
    """The demo county loaded into the test database, served by the live server, with a fresh screenshot folder."""
    call_command("seed_demo", stdout=StringIO())
    shots = ARTIFACTS / re.sub(r"^test_", "", request.node.name)
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    county = County(browser=browser, base_url=live_server.url, shots=shots)
    yield county
    report = getattr(request.node, "report_call", None)
    county.close(failed=report is not None and report.failed)
