"""The dashboard in Debian's Chromium, against the installed `flipshelf serve` (a subprocess,
with its worker converting real PDFs), as a publisher uses it: sign in, publish by the file
input and by drag and drop, watch conversions finish without a reload, edit, embed on another
site, read the numbers of a reading session, rotate the secret. Another account sees none of
it; a POST without the CSRF token changes nothing; axe finds nothing serious. Screenshots of
every page at desktop and phone size go to test-artifacts/dashboard/.

The tests of this module share one server and run in order (one xdist group): the first signs
in with the link `serve` printed; the last rotates the secret."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from flipshelf.api.v1.signature import sign
from tests.browser.conftest import WATCH
from tests.browser.library import AXE, REPO, OtherOrigin
from tests.integration.test_cli import Cli, runner
from tests.served import PRINTED_KEY, PRINTED_SECRET, Server, serving

ARTIFACTS = REPO / "test-artifacts" / "dashboard"
PRINTED_SIGNIN = re.compile(r"^\s*signin:\s*(\S+)")
PASSWORD = "paper cranes fold twice"
TEXT_PDF = "text"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
CONVERSION_MS = 180_000


@dataclass
class Served:
    """The running `flipshelf serve`, its first account and what the tests made on it."""

    server: Server
    base: str
    api_key: str
    secret: str
    signin_link: str
    cli: Cli
    made: dict[str, str] = field(default_factory=dict)

    def call(self, action: str, secret: str | None = None, **extra: str) -> dict[str, Any]:
        params = {"action": action, "apiKey": self.api_key, **extra}
        params["signature"] = sign(secret or self.secret, params)
        answer: dict[str, Any] = httpx.get(
            f"{self.base}/v1/", params=params, timeout=10, trust_env=False
        ).json()
        return answer

    def data(self, action: str, **extra: str) -> dict[str, Any]:
        answer = self.call(action, **extra)
        assert answer["code"] == 20, answer
        found: dict[str, Any] = answer["data"]
        return found

    def shelf(self) -> str:
        """The collection the file-input test published; made here through the API when that
        test ran elsewhere (pytest-xdist may run this module's tests apart from each other)."""
        if "shelf" not in self.made:
            fields = {"action": "collection.create", "apiKey": self.api_key, "title": "Shelf"}
            fields["signature"] = sign(self.secret, fields)
            pdf = REPO / "tests/fixtures/documents/binarytree-ex1.pdf"
            answer = httpx.post(
                f"{self.base}/v1/",
                data=fields,
                files={"file": ("shelf.pdf", pdf.read_bytes(), "application/pdf")},
                timeout=60,
                trust_env=False,
            ).json()
            assert answer["code"] == 20, answer
            collection_hash = str(answer["data"]["collectionHash"])
            deadline = time.monotonic() + 120
            while True:
                seen = self.data("collection.getCollection", collectionHash=collection_hash)
                if all(i["convertStatus"] == "COMPLETE" for i in seen["collectionItems"]):
                    break
                assert time.monotonic() < deadline, seen
                time.sleep(0.5)
            self.made["shelf"] = collection_hash
        return self.made["shelf"]

    def login_link(self, name: str = "default") -> str:
        """A link from `flipshelf accounts login-link`. The CLI builds it on
        FLIPSHELF_PUBLIC_URL (else HOST:PORT), which this test's `serve --port` does not set."""
        url: str = json.loads(self.cli("accounts", "login-link", name, "--json").stdout)["url"]
        parts = urlsplit(url)
        return f"{self.base}{parts.path}?{parts.query}"


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("dashboard") / "data"
    with serving(data_dir, "sqlite") as server:
        api_key = server.wait_for_line(PRINTED_KEY).group(1)
        secret = server.wait_for_line(PRINTED_SECRET).group(1)
        link = server.wait_for_line(PRINTED_SIGNIN).group(1)
        base = server.wait_until_serving().removesuffix("/v1/")
        yield Served(server, base, api_key, secret, link, runner(data_dir, "sqlite"))
        log = server.output()
    assert "Traceback" not in log, log
    assert server.leftovers == []


def shoot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def new_context(browser: Any, phone: bool = False, **options: Any) -> Any:
    if phone:
        options.update(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    else:
        options.setdefault("viewport", DESKTOP)
    context = browser.new_context(**options)
    context.add_init_script(WATCH)
    context.set_default_timeout(30_000)
    return context


def continue_with_link(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/dashboard/")


def assert_clean(page: Any) -> None:
    watched = page.evaluate("window.__fs")
    assert watched == {"csp": [], "errors": []}, watched


@pytest.fixture(scope="module")
def owner_state(browser: Any, served: Served) -> dict[str, Any]:
    """A signed-in browser's cookies (made after the password test, which signs all out)."""
    context = new_context(browser)
    page = context.new_page()
    continue_with_link(page, served.login_link())
    state: dict[str, Any] = context.storage_state()
    context.close()
    return state


@pytest.fixture
def owner(browser: Any, owner_state: dict[str, Any]) -> Iterator[Any]:
    context = new_context(browser, storage_state=owner_state)
    page = context.new_page()
    yield page
    context.close()


def test_sign_in_with_the_printed_link_and_then_with_a_password(
    browser: Any, served: Served
) -> None:
    context = new_context(browser)
    page = context.new_page()
    page.goto(served.base + "/")  # the root takes a browser to the dashboard, then to sign in
    page.wait_for_url("**/dashboard/login?next=/dashboard/")
    shoot(page, "sign-in-desktop")
    page.goto(served.signin_link)
    assert page.get_by_role("heading", name="Sign in as default").is_visible()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/dashboard/")
    assert page.get_by_role("heading", name=re.compile("Collections")).is_visible()
    assert_clean(page)
    page.goto(served.signin_link)
    page.get_by_role("button", name="Continue").click()
    assert "This sign-in link was used already" in page.content()
    context.close()

    served.cli("accounts", "password", "default", "--stdin", given=PASSWORD + "\n")
    context = new_context(browser)
    page = context.new_page()
    page.goto(served.base + "/dashboard/keys")
    page.get_by_label("Account name").fill("default")
    page.get_by_label("Password").fill("not it")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("Wrong name or password.").is_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/keys")  # back where the browser was going
    assert served.api_key in page.locator("#api-key").input_value()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/dashboard/login?done=signed-out")
    context.close()


def watch_navigations(page: Any) -> Callable[[], int]:
    """How many times the page loaded a new document since this was called."""
    loads: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: loads.append(frame.url) if frame == page.main_frame else None,
    )
    return lambda: len(loads)


def wait_complete(page: Any, selector: str, count: int) -> None:
    page.wait_for_function(
        """([selector, count]) => {
          const rows = document.querySelectorAll(selector);
          return rows.length === count &&
            Array.from(rows).every(r => r.dataset.status === 'COMPLETE');
        }""",
        arg=[selector, count],
        timeout=CONVERSION_MS,
    )


def test_two_pdfs_by_the_file_input_convert_to_complete_without_a_reload(
    owner: Any, served: Served, documents: dict[str, Path]
) -> None:
    owner.goto(served.base + "/dashboard/new")
    navigations = watch_navigations(owner)
    owner.get_by_label("Title").first.fill("Spring catalogue")
    owner.get_by_label("Files to publish").set_input_files(
        [documents[TEXT_PDF], REPO / "tests/fixtures/documents/binarytree-ex1.pdf"]
    )
    rows = "[data-uploads] li"
    owner.wait_for_function(
        "s => document.querySelectorAll(s + '[data-book]').length === 2", arg=rows
    )
    shoot(owner, "publish-converting-desktop")
    wait_complete(owner, rows, 2)
    assert navigations() == 0, "the page reloaded"
    texts = owner.locator(rows).all_inner_texts()
    assert all("COMPLETE" in text for text in texts), texts
    link = owner.get_by_role("link", name="Open the new collection")
    collection_hash = link.get_attribute("href").rsplit("/", 1)[1]
    served.made["shelf"] = collection_hash
    seen = served.data("collection.getCollection", collectionHash=collection_hash)
    assert seen["collectionTitle"] == "Spring catalogue"
    assert [i["convertStatus"] for i in seen["collectionItems"]] == ["COMPLETE", "COMPLETE"]
    assert_clean(owner)
    link.click()
    owner.wait_for_url(f"**/dashboard/c/{collection_hash}")
    shoot(owner, "collection-desktop")


def test_two_pdfs_dropped_on_a_collection_convert_without_a_reload(
    owner: Any, served: Served, documents: dict[str, Path]
) -> None:
    collection_hash = served.shelf()
    owner.goto(f"{served.base}/dashboard/c/{collection_hash}")
    navigations = watch_navigations(owner)
    files = [
        ("Summer.pdf", documents[TEXT_PDF].read_bytes()),
        ("Autumn.pdf", (REPO / "tests/fixtures/documents/binarytree-ex1.pdf").read_bytes()),
    ]
    transfer = owner.evaluate_handle(
        """files => {
          const dt = new DataTransfer();
          for (const [name, data] of files) {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            dt.items.add(new File([bytes], name, {type: 'application/pdf'}));
          }
          return dt;
        }""",
        [[name, base64.b64encode(data).decode()] for name, data in files],
    )
    zone = owner.locator("[data-dropzone]")
    zone.dispatch_event("dragenter", {"dataTransfer": transfer})
    zone.dispatch_event("dragover", {"dataTransfer": transfer})
    zone.dispatch_event("drop", {"dataTransfer": transfer})
    wait_complete(owner, "[data-uploads] li", 2)
    assert navigations() == 0, "the page reloaded"
    titles = [
        i["flipbookTitle"]
        for i in served.data("collection.getCollection", collectionHash=collection_hash)[
            "collectionItems"
        ]
    ]
    assert titles[2:] == ["Summer", "Autumn"]
    assert_clean(owner)


def test_a_refused_file_says_why_in_its_row(owner: Any, served: Served, tmp_path: Path) -> None:
    not_pdf = tmp_path / "notes.pdf"
    not_pdf.write_text("plain text, not a document\n" * 10)
    owner.goto(served.base + "/dashboard/new")
    owner.get_by_label("Files to publish").set_input_files([not_pdf])
    row = owner.locator("[data-uploads] li[data-failed]")
    row.wait_for()
    assert row.inner_text().startswith("notes.pdf")
    assert "Refused:" in row.inner_text()


def test_an_edited_title_is_what_get_collection_answers(owner: Any, served: Served) -> None:
    collection_hash = served.shelf()
    owner.goto(f"{served.base}/dashboard/c/{collection_hash}")
    owner.get_by_label("Title", exact=True).fill("Spring & summer <2026>")
    owner.get_by_label("Description").fill("Two seasons.")
    owner.get_by_role("button", name="Save settings").click()
    owner.wait_for_url("**?done=saved")
    assert owner.get_by_text("Saved.").is_visible()
    seen = served.data("collection.getCollection", collectionHash=collection_hash)
    assert seen["collectionTitle"] == "Spring & summer <2026>"
    assert seen["collectionDescription"] == "Two seasons."
    assert owner.locator("[data-collection-title]").inner_text() == "Spring & summer <2026>"


def test_the_copied_embed_code_shows_the_player_on_another_origin(
    browser: Any, owner_state: dict[str, Any], served: Served, other_origin: OtherOrigin
) -> None:
    collection_hash = served.shelf()
    context = new_context(browser, storage_state=owner_state)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.base)
    page = context.new_page()
    page.goto(f"{served.base}/dashboard/c/{collection_hash}/embed")
    page.get_by_label("Size").select_option("350x250")
    expected = served.data(
        "collection.getEmbed", collectionHash=collection_hash, width="350", height="250"
    )["embedCode"]
    page.wait_for_function(
        "code => document.querySelector('[data-embed-code]').value === code", arg=expected
    )
    preview = page.frame_locator("[data-embed-preview]").frame_locator("iframe")
    preview.locator("html[data-painted='true']").wait_for()
    page.get_by_role("button", name="Copy the embed code").click()
    page.get_by_text("Copied.").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == expected
    shoot(page, "embed-desktop")
    site = other_origin.page("/catalogue.html", copied)
    page.goto(site)
    frame = page.locator("iframe").element_handle().content_frame()
    frame.wait_for_function("() => document.documentElement.dataset.painted === 'true'")
    assert frame.url.startswith(f"{served.base}/widget/{collection_hash}")
    context.close()


def test_the_offline_package_builds_and_downloads(owner: Any, served: Served) -> None:
    collection_hash = served.shelf()
    owner.goto(f"{served.base}/dashboard/c/{collection_hash}/embed")
    owner.get_by_role("button", name="Build the offline package").click()
    ready = owner.get_by_role("button", name="Download the package")
    ready.wait_for(timeout=CONVERSION_MS)
    with owner.expect_download() as fetched:
        ready.click()
    assert fetched.value.suggested_filename.endswith(".zip")


def read_a_little(browser: Any, served: Served, collection_hash: str) -> None:
    """A reader opens the player, turns two spreads, goes back, and leaves."""
    context = new_context(browser)
    reader = context.new_page()
    reader.goto(f"{served.base}/widget/{collection_hash}")
    reader.wait_for_function("() => document.documentElement.dataset.painted === 'true'")
    for key, shown in (("ArrowRight", "2,3"), ("ArrowRight", "4,5"), ("Home", "1")):
        reader.keyboard.press(key)
        reader.wait_for_function(
            "want => document.documentElement.dataset.pages === want", arg=shown
        )
    reader.goto("about:blank")  # leaving sends the last page's time
    context.close()


def test_a_reading_session_shows_in_the_charts_with_the_apis_numbers(
    browser: Any, owner: Any, served: Served
) -> None:
    """The embed previews of the tests before were players too, and counted: this reader adds
    exactly one impression and one view."""
    collection_hash = served.shelf()
    before = served.data("collection.getStats", collectionHash=collection_hash)
    read_a_little(browser, served, collection_hash)
    deadline = time.monotonic() + 60
    while True:  # beacons travel on their own: compare once they have all arrived
        owner.goto(f"{served.base}/dashboard/c/{collection_hash}/stats")
        start = owner.locator("#startDate").input_value()
        end = owner.locator("#endDate").input_value()
        expected = served.data(
            "collection.getStats",
            collectionHash=collection_hash,
            startDate=start,
            endDate=end,
            includePageStats="true",
        )
        shown = {
            name: int(owner.locator(f'[data-total="{name}"]').inner_text())
            for name in ("impressions", "views", "time_spent", "downloads")
        }
        settled = expected["views"] == before["views"] + 1 and len(expected["pages"]) >= 5
        if (settled and shown == {k: expected[k] for k in shown}) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert expected["impressions"] == before["impressions"] + 1, (before, expected)
    assert expected["views"] == before["views"] + 1, (before, expected)
    assert shown == {k: expected[k] for k in shown}
    page_rows = owner.locator("[data-pages] tbody tr").count()
    assert page_rows == len(expected["pages"])
    owner.wait_for_function("() => document.documentElement.dataset.charts === '3'")
    assert owner.locator("[data-chart] canvas").count() == 3
    assert_clean(owner)
    shoot(owner, "statistics-desktop")
    owner.goto(f"{served.base}/dashboard/stats")
    account = {
        name: int(owner.locator(f'[data-figure="{name}"]').inner_text())
        for name in ("impressions", "views", "time_spent", "downloads", "api_uploads_left")
    }
    assert account == served.data("user.getStats")


def test_another_account_sees_nothing_of_it(
    browser: Any, served: Served, owner_state: dict[str, Any]
) -> None:
    served.cli("accounts", "create", "other", "--json")
    context = new_context(browser)
    page = context.new_page()
    continue_with_link(page, served.login_link("other"))
    collection_hash = served.shelf()
    assert "Spring" not in page.content()
    for path in ("", "/embed", "/stats", "/status.json", "/embed/preview", "/image/thumb"):
        answer = page.goto(f"{served.base}/dashboard/c/{collection_hash}{path}")
        assert answer is not None and answer.status == 404, path
        assert "Spring" not in page.content()
    page.goto(f"{served.base}/dashboard/")  # its own token, on its own list
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    status = page.evaluate(
        """async ([url, token]) => (await fetch(url, {method: 'POST',
             headers: {'X-CSRF-Token': token, 'Content-Type': 'application/x-www-form-urlencoded'},
             body: 'csrf=' + encodeURIComponent(token) + '&title=mine'})).status""",
        [f"{served.base}/dashboard/c/{collection_hash}/settings", token],
    )
    assert status == 404
    context.close()
    seen = served.data("collection.getCollection", collectionHash=collection_hash)
    assert seen["collectionTitle"] == "Spring & summer <2026>"


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    owner: Any, served: Served, other_origin: OtherOrigin
) -> None:
    collection_hash = served.shelf()
    owner.goto(f"{served.base}/dashboard/c/{collection_hash}")
    status = owner.evaluate(
        """async url => (await fetch(url, {method: 'POST',
             headers: {'Content-Type': 'application/x-www-form-urlencoded'},
             body: 'title=hijacked'})).status""",
        f"{served.base}/dashboard/c/{collection_hash}/settings",
    )
    assert status == 403
    forged = other_origin.page(
        "/forged.html",
        f'<form id="f" method="post" action="{served.base}/dashboard/c/{collection_hash}/settings">'
        '<input name="title" value="hijacked"><button>Win a prize</button></form>',
    )
    owner.goto(forged)
    with owner.expect_navigation():
        owner.get_by_role("button", name="Win a prize").click()
    assert "Not allowed" in owner.content()
    seen = served.data("collection.getCollection", collectionHash=collection_hash)
    assert seen["collectionTitle"] == "Spring & summer <2026>"


PAGES = {
    "collections": "/dashboard/",
    "publish": "/dashboard/new",
    "collection": "/dashboard/c/{shelf}",
    "embed": "/dashboard/c/{shelf}/embed",
    "statistics": "/dashboard/c/{shelf}/stats",
    "account-statistics": "/dashboard/stats",
    "keys": "/dashboard/keys",
}


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is missing: run scripts/install-browser.sh")
def test_axe_finds_nothing_serious_on_any_page_at_desktop_and_phone_size(
    browser: Any, owner_state: dict[str, Any], served: Served
) -> None:
    found: list[dict[str, Any]] = []
    for phone in (False, True):
        context = new_context(browser, phone=phone, storage_state=owner_state, bypass_csp=True)
        page = context.new_page()
        for name, path in PAGES.items():
            page.goto(served.base + path.format(shelf=served.shelf()))
            if name in ("statistics", "account-statistics"):
                page.wait_for_function(
                    "() => document.documentElement.dataset.charts !== undefined"
                )
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("async () => (await axe.run(document)).violations")
            found += [
                {"page": name, "phone": phone, "id": v["id"], "impact": v["impact"]}
                for v in result
                if v["impact"] in ("serious", "critical")
            ]
            overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (name, phone, overflow)  # nothing wider than a phone
            shoot(page, f"{name}-{'phone' if phone else 'desktop'}")
        context.close()
    assert found == []


def test_the_keyboard_alone_reaches_every_control_with_a_visible_focus(
    owner: Any, served: Served
) -> None:
    owner.goto(f"{served.base}/dashboard/c/{served.shelf()}")
    owner.keyboard.press("Tab")
    assert owner.evaluate("document.activeElement.textContent") == "Skip to the content"
    seen: set[str] = set()
    for _ in range(200):
        owner.keyboard.press("Tab")
        focus = owner.evaluate(
            """() => {
              const e = document.activeElement, s = getComputedStyle(e);
              if (e === document.body) { return null; }
              return {label: e.getAttribute('aria-label') || e.textContent.trim() || e.name || e.id,
                      ring: s.outlineStyle !== 'none' || s.boxShadow !== 'none'};
            }"""
        )
        if focus is None:
            break  # past the last control: the focus left the page
        assert focus["ring"], focus
        seen.add(focus["label"])
    assert {"Save settings", "Embed and share", "Statistics"} <= seen, seen


def test_rotating_the_secret_makes_the_old_one_answer_44(owner: Any, served: Served) -> None:
    owner.goto(served.base + "/dashboard/keys")
    owner.get_by_role("button", name="Rotate the secret").click()  # the box is not ticked
    assert owner.url.endswith("/dashboard/keys")  # the browser refuses the unticked form
    owner.get_by_label("I understand that the old secret stops working at once").check()
    owner.get_by_role("button", name="Rotate the secret").click()
    new = owner.locator("[data-new-secret]").input_value()
    shoot(owner, "keys-rotated-desktop")
    old = served.secret
    deadline = time.monotonic() + 10  # other API processes may cache a key for 2 s
    while served.call("user.getStats", secret=old)["code"] != 44:
        assert time.monotonic() < deadline, "the old secret still works"
        time.sleep(0.2)
    served.secret = new
    assert served.call("user.getStats")["code"] == 20
