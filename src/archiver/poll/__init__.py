"""Polling: the pipeline joining the stages, the schedule, the daemon, one pass, re-extraction."""

from __future__ import annotations

from archiver.poll.pipeline import PollContext, poll_source

__all__ = ["PollContext", "poll_source"]
