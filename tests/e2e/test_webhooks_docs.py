"""docs/webhooks.md's examples, run as written against the installed `flipshelf serve`: every
`python` block in order as one script, then the shell blocks marked `<!-- run -->`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.served import ROOT, serving, trouble

DOC = ROOT / "docs" / "webhooks.md"
BLOCK = re.compile(r"(?P<mark><!-- run -->\n)?```(?P<lang>\w+)\n(?P<code>.*?)\n```", re.S)


def blocks(language: str, marked_only: bool = False) -> list[str]:
    return [
        match["code"]
        for match in BLOCK.finditer(DOC.read_text(encoding="utf-8"))
        if match["lang"] == language and (match["mark"] or not marked_only)
    ]


def test_the_examples_run_against_a_real_server(tmp_path: Path, documents: dict[str, Path]) -> None:
    script = "\n\n".join(f"# --- example {n}\n{code}" for n, code in enumerate(blocks("python")))
    (tmp_path / "examples.py").write_text(script, encoding="utf-8")
    shutil.copy(documents["text"], tmp_path / "catalogue.pdf")
    with serving(tmp_path / "data", webhook_allow="127.0.0.1") as server:
        api_key, secret = server.key_pair()
        base = server.wait_until_serving().removesuffix("/v1/")
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLIPSHELF_")}
        env = {k: v for k, v in env.items() if "proxy" not in k.lower()}
        env.update(FLIPSHELF_URL=base, FLIPSHELF_API_KEY=api_key, FLIPSHELF_SECRET=secret)
        done = subprocess.run(
            [sys.executable, "examples.py"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
        out = done.stdout
        for expected in (
            "registered wh_",
            "event flipbook.converted",
            "event collection.package_ready",
            "package COMPLETE",
            "flipbook.converted delivered 1 204",
            "redelivery pending",
        ):
            assert expected in out, f"{expected!r} not in:\n{out}"
        assert "refused:" not in out

        [shell] = blocks("sh", marked_only=True)
        answer = run_within_rate_limits(shell, env)
        [hook] = answer["data"]["webhooks"]
        assert hook["url"].startswith("http://127.0.0.1:") and "secret" not in hook
    assert trouble(server.lines) == [], "\n".join(server.lines)


def run_within_rate_limits(shell: str, env: dict[str, str]) -> dict[str, Any]:
    """Runs a shell example; asks again while the key's rate windows (default 5/s, 60/min)
    are full from the examples before it, as a script would, for at most two minutes."""
    deadline = time.monotonic() + 120
    while True:
        done = subprocess.run(
            ["bash", "-c", shell], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        answer: dict[str, Any] = json.loads(done.stdout)
        if answer["code"] not in (31, 32) or time.monotonic() > deadline:
            return answer
        time.sleep(1.0)
