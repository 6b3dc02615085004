"""docs/client.md's examples, run as written: every `python` block in order, as one script,
against a real server with a fresh account; the shell blocks marked `<!-- run -->` too. The
documented test vectors must be the ones the tests check."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from live_server import LiveServer, clean_environment
from samples import REPO, png
from test_client_signing import HMAC_VECTORS
from test_client_webhooks import V1

DOC = REPO / "docs" / "client.md"
BLOCK = re.compile(r"(?P<mark><!-- run[^>]*-->\n)?```(?P<lang>\w+)\n(?P<code>.*?)\n```", re.S)


def blocks(language: str, marked_only: bool = False) -> list[str]:
    found = []
    for match in BLOCK.finditer(DOC.read_text()):
        if match["lang"] == language and (match["mark"] or not marked_only):
            found.append(match["code"])
    return found


def test_the_python_examples_run_against_a_real_server(
    live: LiveServer, documents: dict[str, Path], tmp_path: Path
) -> None:
    examples = blocks("python")
    assert len(examples) >= 8
    script = "\n\n".join(f"# --- example {n}\n{code}" for n, code in enumerate(examples, 1))
    (tmp_path / "examples.py").write_text(script)
    shutil.copy(documents["binarytree-ex1"], tmp_path / "catalogue.pdf")
    shutil.copy(documents["lapdf-quartic"], tmp_path / "appendix.pdf")
    (tmp_path / "logo.png").write_bytes(png())
    api_key, secret = live.new_account("docs")
    env = clean_environment(
        FLIPSHELF_URL=live.url,
        FLIPSHELF_API_KEY=api_key,
        FLIPSHELF_API_SECRET=secret,
        XDG_CONFIG_HOME=str(tmp_path / "config"),  # no profile of the person running the tests
    )
    done = subprocess.run(
        [sys.executable, "examples.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    out = done.stdout
    assert f"Client('{live.url}/v1/'" in out and secret not in out
    for expected in (
        "uploaded",
        "made",
        "pages",
        "<iframe",
        "package: COMPLETE",
        "saved",
        "InvalidCollectionHash 46",
        "refused:",
        "event flipbook.converted",
        "secret kept: True",
    ):
        assert expected in out, f"{expected!r} not in:\n{out}"
    assert (tmp_path / "spring.zip").stat().st_size > 0


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")
def test_the_shell_examples_marked_to_run_give_the_documented_answer() -> None:
    [openssl] = blocks("sh", marked_only=True)
    done = subprocess.run(["bash", "-c", openssl], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == HMAC_VECTORS[0][3]


def test_the_documented_vectors_are_the_tested_ones() -> None:
    text = DOC.read_text()
    for _action, _params, canonical, signature in HMAC_VECTORS:
        assert f"`{canonical}`" in text and f"`{signature}`" in text
    assert f"v1={V1}" in text
    assert "26e781d3d1751d82ec284acf4a019def" in (REPO / "docs" / "api.md").read_text()
