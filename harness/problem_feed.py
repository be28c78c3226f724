"""Programs go to the executor with their problems read as they go: memory stays flat in dataset size.

The harness keeps only refs of the selected problems (data.ProblemIndex). A candidate waits in
the feed (its code only) until a place in the window is free; then its problem is read (or
shared with the other samples of that problem in flight) and the candidate is submitted. Its
problem is dropped when its last program in flight has its result. So the harness holds the
problems of at most `window` programs, and (beyond the first in flight) at most `budget`
characters of test data, at once: not every test of the split.
"""
from __future__ import annotations

import collections
import threading
from typing import Callable, Iterable, TypeVar

from data import ProblemIndex
from data.problem import Problem

from harness.records import Candidate

T = TypeVar("T")


class ProblemCache:
    """The problems of programs in flight, read on first use and dropped with their last program."""

    def __init__(self, index: ProblemIndex) -> None:
        self._index = index
        self._refs = index.by_id()
        self._held: dict[str, tuple[Problem, int]] = {}
        self._attached: dict[str, object] = {}  # per held problem, dropped with it (e.g. its tokenized references)
        self._bytes = 0
        self._lock = threading.Lock()

    def cost(self, problem_id: str) -> int:
        """Characters of test data that acquiring this problem adds (0 when it is held already)."""
        with self._lock:
            return 0 if problem_id in self._held else self._refs[problem_id].test_bytes

    def held_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def acquire(self, problem_id: str) -> Problem:
        with self._lock:
            held = self._held.get(problem_id)
            if held is not None:
                self._held[problem_id] = (held[0], held[1] + 1)
                return held[0]
        problem = self._index.load(self._refs[problem_id])  # outside the lock: a big row takes a while
        with self._lock:
            held = self._held.get(problem_id)
            if held is None:
                self._bytes += self._refs[problem_id].test_bytes
            self._held[problem_id] = (held[0] if held else problem, (held[1] if held else 0) + 1)
            return self._held[problem_id][0]

    def release(self, problem_id: str) -> None:
        with self._lock:
            problem, count = self._held[problem_id]
            if count <= 1:
                del self._held[problem_id]
                self._attached.pop(problem_id, None)
                self._bytes -= self._refs[problem_id].test_bytes
            else:
                self._held[problem_id] = (problem, count - 1)

    def attached(self, problem_id: str, make: Callable[[Problem], T]) -> T:
        """The object kept with a held problem, made from it on first use; dropped with the problem."""
        with self._lock:
            problem = self._held[problem_id][0]
            if problem_id not in self._attached:
                self._attached[problem_id] = make(problem)
            return self._attached[problem_id]  # type: ignore[return-value]

    def __getitem__(self, problem_id: str) -> Problem:
        """A problem a program in flight holds (Evaluation looks it up at submit)."""
        with self._lock:
            return self._held[problem_id][0]

    def held(self) -> int:
        with self._lock:
            return len(self._held)


class ProblemFeed:
    """Submits queued candidates, at most `window` in flight (None: the backend's own backpressure
    bounds them) and, once one is in flight, no more than `budget` characters of test data held;
    each with its problem acquired from the cache; `done` frees a place."""

    def __init__(self, cache: ProblemCache, submit: Callable[[Candidate], None], failed: Callable[[], bool],
                 window: int | None, budget: int) -> None:
        self._cache, self._submit, self._failed, self._window, self._budget = cache, submit, failed, window, budget
        self._queue: collections.deque[Candidate] = collections.deque()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._submitting = False
        self._stopped = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="problem-feed", daemon=True)
        self._thread.start()

    def put(self, candidates: Iterable[Candidate]) -> None:
        with self._cond:
            self._queue.extend(candidates)
            self._cond.notify_all()

    def done(self, problem_id: str) -> None:
        """A program's result is recorded: its problem may go, another program may start."""
        self._cache.release(problem_id)
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    def drain(self) -> None:
        """Block until every queued candidate is submitted (or something failed); raise a feed error."""
        while True:
            with self._cond:
                if self._error is not None:
                    raise self._error
                if not (self._queue or self._submitting):
                    return
                self._cond.wait(timeout=0.5)
            if self._failed():  # never asked under self._cond: `done` comes under the evaluation's lock
                return

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._queue.clear()
            self._cond.notify_all()

    def _full(self) -> bool:
        """No place for the next candidate (a first program always gets one, however big its problem)."""
        if self._window is not None and self._in_flight >= self._window:
            return True
        return self._in_flight > 0 and self._cache.held_bytes() + self._cache.cost(self._queue[0].problem_id) > self._budget

    def _next(self) -> Candidate | None:
        """The next candidate once a place is free; None when stopped (or the evaluation failed)."""
        while True:
            with self._cond:
                if self._stopped:
                    self._cond.notify_all()
                    return None
                if self._queue and not self._full():
                    self._in_flight += 1
                    self._submitting = True
                    return self._queue.popleft()
                self._cond.wait(timeout=0.5)
            if self._failed():  # outside self._cond, as in drain
                self.stop()

    def _run(self) -> None:
        while True:
            candidate = self._next()
            if candidate is None:
                return
            try:
                self._cache.acquire(candidate.problem_id)
                try:
                    self._submit(candidate)
                except BaseException:
                    self._cache.release(candidate.problem_id)
                    raise
            except BaseException as exc:  # noqa: BLE001 - handed to drain(), in the caller's thread
                with self._cond:
                    self._error, self._stopped = exc, True
                    self._submitting = False
                    self._cond.notify_all()
                return
            with self._cond:
                self._submitting = False
                self._cond.notify_all()
