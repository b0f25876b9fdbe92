"""Polling: the pipeline joining the stages, the schedule, the daemon, one pass, re-extraction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archiver.poll.pipeline import PollContext, poll_source

__all__ = ["PollContext", "poll_source"]


def __getattr__(name: str) -> Any:
    # imported on first use: the read commands use poll.health and poll.schedule without
    # paying for the pipeline's imports (fetch, extract, trafilatura)
    if name in __all__:
        from archiver.poll import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'archiver.poll' has no attribute {name!r}")
