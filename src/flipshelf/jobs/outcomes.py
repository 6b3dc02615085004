"""How a job ends other than by finishing: the runner reacts to these the same way for every kind
of job."""

from __future__ import annotations


class Abandoned(Exception):
    """The job lost its lease (another worker took over): stop without touching the row."""


class RetryLater(Exception):
    """A transient failure: the runner schedules the job again after `delay` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"retry in {delay:.0f} s")
        self.delay = delay
