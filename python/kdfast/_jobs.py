"""Running independent jobs serially or on an executor, and cancelling them.

Jobs that run in threads (an executor's thread pool, or an in-process Dask
cluster) cannot be interrupted: Ctrl-C reaches only the main thread. So
:func:`run_jobs` gives the jobs of one call a token, a job polls it with
:func:`stop_if_cancelled` between pieces of its work, and an interrupted
call cancels the token. Jobs in other processes get their own Ctrl-C.

This module owns the cancellation state. A token is held while its
:func:`run_jobs` call or one of its jobs runs in this process, and is
forgotten when the last of them ends, so the state never outgrows the jobs
running now.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import threading
import uuid
from collections import Counter
from concurrent.futures import Executor, as_completed

from tqdm.auto import tqdm

from . import _validation as check

__all__ = ["run_jobs", "stop_if_cancelled"]

# How often a job on a Dask worker looks whether Dask still wants it.
WATCH_SECONDS = 0.1

_lock = threading.Lock()
_holders: Counter[str] = Counter()  # token -> its run_jobs call and jobs running in this process
_cancelled: set[str] = set()  # tokens among those that were cancelled
_token: contextvars.ContextVar[str | None] = contextvars.ContextVar("kdfast_job_token", default=None)


@contextlib.contextmanager
def _held(token: str):
    with _lock:
        _holders[token] += 1
    try:
        yield
    finally:
        with _lock:
            _holders[token] -= 1
            if not _holders[token]:
                del _holders[token]
                _cancelled.discard(token)


def _cancel(token: str) -> None:
    with _lock:
        if token in _holders:
            _cancelled.add(token)


def stop_if_cancelled() -> None:
    """Raise KeyboardInterrupt when the job running in this thread was cancelled."""
    token = _token.get()
    if token is not None and token in _cancelled:
        raise KeyboardInterrupt(f"job {token} cancelled")


def _run_job(token: str, function, args):
    with _held(token):
        _token.set(token)
        worker, key = _dask_task()
        if worker is None:
            return function(*args)
        with _cancelled_when_dropped(token, worker, key):
            try:
                return function(*args)
            except KeyboardInterrupt:
                # The worker itself was not interrupted: an ordinary error for Dask.
                raise RuntimeError(f"kdfast job {key} cancelled") from None


def _dask_task():
    """(worker, task key) when this runs as a task on a Dask worker, else (None, None)."""
    distributed = sys.modules.get("distributed")  # on a worker it is imported already
    if distributed is None:
        return None, None
    try:
        worker = distributed.get_worker()
        key = distributed.worker.thread_state.key
        worker.state.tasks.get(key)
    except (ValueError, AttributeError):  # not a worker, or a Dask without these
        return None, None
    return worker, key


@contextlib.contextmanager
def _cancelled_when_dropped(token: str, worker, key):
    """Cancel the job's token once its Dask worker drops the task.

    Dask cannot stop a running task: when the client cancels it (Ctrl-C in
    the sweep) or goes away, the worker forgets it and its thread runs on.
    A job polls its token between pieces of training, so a watcher cancels
    the token when the task is no longer wanted, and the job stops soon.
    """
    done = threading.Event()

    def watch():
        while not done.wait(WATCH_SECONDS):
            task = worker.state.tasks.get(key)
            if task is None or task.state in ("cancelled", "released", "forgotten"):
                _cancel(token)
                return

    watcher = threading.Thread(target=watch, name="kdfast-cancel-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def run_jobs(function, jobs: dict, *, executor: Executor | None, progress, desc: str) -> dict:
    """``{name: function(*args)}`` for ``jobs = {name: args}``, in the order of `jobs`.

    Serially when `executor` is None; otherwise all jobs are submitted and
    collected as they finish. On any exception or Ctrl-C, jobs not started
    are cancelled, jobs running in this process's threads stop at their
    next piece of work, and the exception propagates.
    """
    if executor is not None and not isinstance(executor, Executor):
        raise check.InputTypeError(f"executor: expected a concurrent.futures.Executor, got {type(executor).__name__}")
    disable = check.progress_disabled(progress)
    results = {}
    with tqdm(total=len(jobs), desc=desc, unit="job", disable=disable) as bar:
        if executor is None:
            for name, args in jobs.items():
                bar.set_postfix_str(name)
                results[name] = function(*args)
                bar.update()
            return results
        token = uuid.uuid4().hex
        with _held(token):
            futures: dict = {}
            try:
                # Submitted inside the try: Ctrl-C between two submissions
                # must cancel the jobs already running too.
                for name, args in jobs.items():
                    futures[executor.submit(_run_job, token, function, args)] = name
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    bar.set_postfix_str(futures[future])
                    bar.update()
            except BaseException:
                for future in futures:
                    future.cancel()
                _cancel(token)
                raise
    return {name: results[name] for name in jobs}
