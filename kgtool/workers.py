"""Run methods of a per-process worker object over many tasks, in processes, results in order.

Used by the streaming validator (BucketValidator): each
worker process builds its object once (``initializer``); tasks name a method and its arguments.
Results come back in task order, with a bounded number of tasks in flight, so that memory stays
flat and the output does not depend on which process ran what. With one job, the object lives
in this process and no process is started.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator

from .errors import KgtoolError


def return_large_blocks() -> None:
    """In a worker process: have glibc serve large blocks (a chunk's text) from mmap for good.

    By default glibc raises its mmap threshold each time such a block is freed, so later ones
    come from the heap and stay in the process when freed: some 10 MB per worker here. Only for
    processes kgtool owns (it changes the process's allocator); elsewhere a no-op.
    """
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 256 << 10)  # M_MMAP_THRESHOLD; fixing it also stops the raising
    except (OSError, AttributeError, TypeError):  # not glibc (or no C library to load by name)
        pass


def _start_worker(parent: int, initializer: Callable[..., None], *initargs: Any) -> None:
    """Make this worker die with its parent, then build its object.

    A parent killed with SIGKILL cannot stop its pool: without this the workers live on,
    holding its scratch folders (which the next run could not sweep) and memory.
    """
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError, TypeError):  # not Linux: orphans end when their pipes close
        pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    initializer(*initargs)


class OrderedPool:
    def __init__(self, jobs: int, make_local: Callable[[], Any], call: Callable[..., Any],
                 initializer: Callable[..., None], initargs: tuple):
        """``call(method, *args)`` runs in a worker (module-level, so picklable); ``make_local``
        builds the object for jobs=1."""
        self.jobs = max(1, jobs)
        self._call = call
        self._local: Any = None
        self._executor: ProcessPoolExecutor | None = None
        if self.jobs == 1:
            self._local = make_local()
        else:
            # fork when the platform has it: the workers start at once, sharing the parent's
            # imported modules (create the pool before starting threads in this process).
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            self._executor = ProcessPoolExecutor(self.jobs, mp_context=ctx, initializer=_start_worker,
                                                 initargs=(os.getpid(), initializer, *initargs))

    def map(self, method: str, args: Iterable[tuple]) -> Iterator[Any]:
        """method(*a) for each a, in order."""
        if self._executor is None:
            fn = getattr(self._local, method)
            was_enabled = gc.isenabled()
            gc.disable()  # as in the workers: millions of small objects, no cycles
            try:
                for a in args:
                    yield fn(*a)
            finally:
                if was_enabled:
                    gc.enable()
            return
        pending: deque = deque()
        try:
            for a in args:
                pending.append(self._executor.submit(self._call, method, *a))
                if len(pending) > self.jobs:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool:
            raise KgtoolError("a worker process stopped unexpectedly (out of memory?); "
                              "try fewer --jobs") from None
        finally:
            for f in pending:
                f.cancel()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> "OrderedPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
