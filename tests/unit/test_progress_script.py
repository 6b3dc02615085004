"""scripts/progress.sh, which the Makefile runs its long set-up steps under: the person waiting
for a first `make serve` sees a line while a step runs, and its exit status is the step's."""

from __future__ import annotations

import os
import select
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "progress.sh"


def _start(tmp_path: Path, step: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(SCRIPT), "installing things", "--", "bash", "-c", step],
        env={**os.environ, "PROGRESS_EVERY": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )


def test_a_running_step_shows_progress_until_it_ends(tmp_path: Path) -> None:
    release = tmp_path / "release"
    running = _start(tmp_path, f"until [ -e {release} ]; do sleep 0.1; done")
    assert running.stdout is not None
    assert running.stdout.readline() == "== installing things ...\n"
    ready, _, _ = select.select([running.stdout], [], [], 60)  # a deadline, not a sleep
    assert ready, "no progress line within 60 s"
    line = running.stdout.readline()
    assert line.startswith("   ... still installing things ("), line
    release.touch()  # the step ends
    rest, _ = running.communicate(timeout=60)
    assert running.returncode == 0
    assert rest.strip().splitlines()[-1].startswith("== done: installing things ("), rest


def test_a_failing_step_fails_with_its_status(tmp_path: Path) -> None:
    failing = _start(tmp_path, "exit 7")
    out, err = failing.communicate(timeout=60)
    assert failing.returncode == 7
    assert "== FAILED: installing things (exit 7)" in err, (out, err)
