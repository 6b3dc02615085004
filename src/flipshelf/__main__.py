"""`python -m flipshelf`: the same as the `flipshelf` command (`serve` starts workers this way)."""

# `_signal` is built in: ready at once, where importing `signal` (an enum built at import) can
# itself be what a SIGINT interrupts.
import _signal  # type: ignore[import-not-found]
import sys


def _leave_quietly(signum: int, frame: object) -> None:
    # `serve` stops its workers with SIGINT; one still importing (a quick stop after start)
    # would print a KeyboardInterrupt traceback from deep inside some import. Until a command
    # installs its own handler (Huey's consumer, uvicorn), SIGINT just ends the process.
    sys.exit(128 + signum)


_signal.signal(_signal.SIGINT, _leave_quietly)

from flipshelf.cli import main  # noqa: E402

main()
