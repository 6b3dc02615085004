"""`flipshelf publish` and `flipshelf download-html` as a person runs them: the installed command
against a real server, and the printed embed code opened in Chromium on another origin."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from live_server import LiveServer, clean_environment, flipshelf
from samples import REPO

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "client"


def client_command() -> str:
    """`flipshelf-client`: the same commands without the server's CLI (quicker to start)."""
    return str(Path(flipshelf()).with_name("flipshelf-client"))


def run(
    live: LiveServer, *args: str, command: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """`flipshelf ARGS` (or `command`) with the server's pair in the environment, unless `env`
    says otherwise."""
    environment = clean_environment(
        FLIPSHELF_URL=live.url, FLIPSHELF_API_KEY=live.api_key, FLIPSHELF_API_SECRET=live.secret
    )
    environment.update(env)
    done = subprocess.run(
        [command or flipshelf(), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


class Site:
    """A tiny web site on another port of 127.0.0.1: a page that pastes the embed code."""

    def __init__(self, body: str) -> None:
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Our site</title>'
            f"</head><body><h1>Our catalogue</h1>{body}</body></html>"
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *_args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (scripts/install-browser.sh installs Debian's)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


@pytest.mark.browser
@pytest.mark.parametrize(
    "viewport",
    [{"width": 1200, "height": 800}, {"width": 390, "height": 844}],
    ids=["desktop", "phone"],
)
def test_publish_wait_embed_prints_an_iframe_that_shows_the_book_on_another_site(
    live: LiveServer, documents: dict[str, Path], browser: Any, viewport: dict[str, int]
) -> None:
    phone = viewport["width"] < 500
    responsive = ["--responsive"] if phone else []
    arguments = ["--title", "Quartic <b>", "--wait", "--embed", *responsive]
    done = run(live, "publish", str(documents["lapdf-quartic"]), *arguments)
    assert done.returncode == 0, done.stderr
    embed = done.stdout.strip()
    assert embed.startswith("<div" if phone else "<iframe") and "<iframe" in embed
    assert f'src="{live.url}/widget/' in embed

    site = Site(embed)
    try:
        assert not site.url.startswith(live.url)  # another origin embeds the player
        context = browser.new_context(viewport=viewport, has_touch=phone)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(site.url)
        frame = page.locator("iframe").element_handle().content_frame()
        assert frame.url.startswith(f"{live.url}/widget/")
        frame.wait_for_function("() => document.documentElement.dataset.painted === 'true'")
        image = frame.locator("img.fs-page-img").first
        image.wait_for(state="visible")
        frame.wait_for_function(
            "() => { const i = document.querySelector('img.fs-page-img');"
            " return i && i.complete && i.naturalWidth > 0; }"
        )
        box = image.bounding_box()
        assert box is not None and box["width"] > 20 and box["height"] > 20
        if phone:  # the responsive embed fits the phone's width
            iframe = page.locator("iframe").bounding_box()
            assert iframe is not None and iframe["width"] <= viewport["width"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"publish-embed-{viewport['width']}.png"))
        context.close()
    finally:
        site.close()


def test_publish_into_a_collection_prints_its_link_and_json(
    live: LiveServer, documents: dict[str, Path]
) -> None:
    trees, quartic = str(documents["binarytree-ex1"]), str(documents["lapdf-quartic"])
    first = run(live, "publish", trees, quartic, "--title", "Shelf", "--json")
    assert first.returncode == 0, first.stderr
    answer = json.loads(first.stdout)
    key = answer["collectionHash"]
    assert answer["url"].startswith(f"{live.url}/widget/{key}")
    # --title names the new collection (and so its first book); the others keep their names.
    assert [i["title"] for i in answer["items"]] == ["Shelf", "lapdf-quartic"]

    more = run(live, "publish", trees, "--collection", key, "--title", "Trees", "--wait")
    assert more.returncode == 0, more.stderr
    link = more.stdout.strip()
    assert link.startswith(f"{live.url}/widget/{key}")
    assert httpx.get(link, timeout=30, trust_env=False).status_code == 200
    with live.client() as client:
        collection = client.get_collection(key)
    assert collection.title == "Shelf"
    assert [i.title for i in collection.items] == ["Shelf", "lapdf-quartic", "Trees"]
    assert all(i.convert_status.value == "COMPLETE" for i in collection.items)

    refused = run(live, "publish", trees, quartic, "--collection", key, "--title", "Both")
    assert refused.returncode == 2 and "give one file" in refused.stderr


def test_download_html_writes_the_package(
    live: LiveServer, documents: dict[str, Path], tmp_path: Path
) -> None:
    published = run(live, "publish", str(documents["binarytree-ex1"]), "--wait", "--json")
    key = json.loads(published.stdout)["collectionHash"]
    target = tmp_path / "books" / "package.zip"
    done = run(live, "download-html", key, "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(target)
    with zipfile.ZipFile(target) as package:
        assert package.testzip() is None and "index.html" in package.namelist()


def test_flags_win_over_the_environment_and_the_profile_is_the_last_resort(
    live: LiveServer, tmp_path: Path
) -> None:
    profiles = tmp_path / "config" / "flipshelf" / "profiles.toml"
    profiles.parent.mkdir(parents=True)
    profiles.write_text(
        f'[default]\nurl = "{live.url}"\napi_key = "{live.api_key}"\nsecret = "{live.secret}"\n'
    )
    profiles.chmod(0o600)
    config = str(tmp_path / "config")
    cli = client_command()
    nothing = {"FLIPSHELF_URL": "", "FLIPSHELF_API_KEY": "", "FLIPSHELF_API_SECRET": ""}
    # Only the profile: it connects (and the server answers for the unknown hash).
    alone = run(live, "download-html", "nosuchhash", command=cli, XDG_CONFIG_HOME=config, **nothing)
    assert alone.returncode == 1 and "Invalid collection hash" in alone.stderr
    # A wrong secret in the environment wins over the profile's good one...
    wrong_secret = {"FLIPSHELF_API_SECRET": "wrong", "XDG_CONFIG_HOME": config}
    wrong = run(live, "download-html", "nosuchhash", command=cli, **wrong_secret)
    assert wrong.returncode == 1 and "Invalid signature" in wrong.stderr
    # ...and the flag wins over the environment.
    flag = ["--secret", live.secret]
    fixed = run(live, "download-html", "nosuchhash", *flag, command=cli, **wrong_secret)
    assert fixed.returncode == 1 and "Invalid collection hash" in fixed.stderr


def test_failures_are_one_line_messages_with_exit_codes(live: LiveServer, tmp_path: Path) -> None:
    cli = client_command()
    notes = tmp_path / "notes.pdf"
    notes.write_text("not a PDF")
    refused = run(live, "publish", str(notes), command=cli)
    assert refused.returncode == 1 and "Invalid file format" in refused.stderr
    nothing = {"FLIPSHELF_URL": "", "FLIPSHELF_API_KEY": "", "FLIPSHELF_API_SECRET": ""}
    unconfigured = run(
        live, "publish", str(notes), command=cli, XDG_CONFIG_HOME=str(tmp_path / "no"), **nothing
    )
    assert unconfigured.returncode == 2 and "missing url, api_key, secret" in unconfigured.stderr
    missing = run(live, "publish", str(tmp_path / "absent.pdf"), command=cli)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    unreachable = run(live, "publish", str(notes), "--url", "http://127.0.0.1:9", command=cli)
    assert unreachable.returncode == 1 and "collection.create" in unreachable.stderr


def test_flipshelf_help_does_not_load_the_client() -> None:
    probe = (
        "import sys; from flipshelf.cli import cli; "
        "assert not [m for m in sys.modules if m.startswith(('flipshelf_client', 'httpx'))]"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
