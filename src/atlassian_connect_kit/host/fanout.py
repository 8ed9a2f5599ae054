"""Run independent Jira calls side by side, with a bound on how many run at once.

A report often needs one call per issue (its worklogs) after a search. :func:`fan_out` runs such
calls on a small thread pool and hands the results back in input order. The bound here is per
fan-out; the host client's per-tenant slots still apply underneath, so several fan-outs running
for the same Jira site together never exceed that site's cap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TypeVar

__all__ = ["fan_out"]

T = TypeVar("T")
R = TypeVar("R")


def fan_out(func: Callable[[T], R], items: Iterable[T], *, max_workers: int) -> list[R]:
    """Return ``[func(item) for item in items]``, computed by up to ``max_workers`` threads.

    Results keep the order of ``items``. ``items`` may be lazy (a generator paging a search, say):
    each item is handed to a thread as soon as it is produced, so the producer's own calls overlap
    with the fanned-out ones. When a call raises, calls not yet started are cancelled, those
    already running are waited for, and the exception is raised (the one from the earliest item,
    if several failed before the cancellation took hold). An exception from ``items`` itself is
    raised the same way.
    """
    if max_workers < 1:
        raise ValueError("max_workers must be at least 1")
    pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="fan-out")
    futures: list[Future[R]] = []
    try:
        for item in items:
            futures.append(pool.submit(func, item))
            if futures[-1].done() or len(futures) % max_workers == 0:
                _raise_first_failure(futures, pool)
        wait(futures, return_when=FIRST_EXCEPTION)
        _raise_first_failure(futures, pool)
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _raise_first_failure(futures: list[Future[R]], pool: ThreadPoolExecutor) -> None:
    for future in futures:
        if future.done() and not future.cancelled():
            error = future.exception()
            if error is not None:
                pool.shutdown(wait=True, cancel_futures=True)
                raise error
