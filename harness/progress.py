"""Progress a user can read: a tqdm bar on a terminal, one log line every ~10 s otherwise.

`Progress` counts items (samples, programs) and shows a rate text given by its owner (tokens/s)
and an ETA. The ETA comes from a `BusyClock` when one is given: the time during which the
stage actually had work, so a judging bar that waits for generation does not count that wait
in its ETA. Log lines of the run are printed above the bars (cli wraps the commands in
tqdm.contrib.logging.logging_redirect_tqdm).
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any

log = logging.getLogger("apps-eval")

LOG_EVERY_S = 10.0
POSTFIX_EVERY_S = 2.0


class BusyClock:
    """Seconds during which a stage had work in hand (work arrived and not yet done)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open = 0
        self._busy = 0.0
        self._since: float | None = None

    def arrived(self, count: int = 1) -> None:
        with self._lock:
            if self._open == 0 and count > 0:
                self._since = time.perf_counter()
            self._open += count

    def done(self, count: int = 1) -> None:
        with self._lock:
            self._open = max(0, self._open - count)
            if self._open == 0 and self._since is not None:
                self._busy += time.perf_counter() - self._since
                self._since = None

    def open_count(self) -> int:
        """Work items arrived and not yet done."""
        with self._lock:
            return self._open

    def seconds(self) -> float:
        with self._lock:
            running = time.perf_counter() - self._since if self._since is not None else 0.0
            return self._busy + running


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Progress:
    """A progress display of `total` items; enabled None: a bar on a terminal, else periodic log lines."""

    def __init__(
        self, desc: str, total: int, *, unit: str, initial: int = 0, enabled: bool | None = None,
        clock: BusyClock | None = None,
    ) -> None:
        self.desc, self.total, self.unit, self.count = desc, total, unit, initial
        self.initial = initial
        self.clock = clock
        self.postfix = ""
        self._started = time.perf_counter()
        self._last_log = self._last_postfix = self._started
        self._lock = threading.Lock()
        terminal = sys.stderr.isatty()
        self.mode = "bar" if (enabled if enabled is not None else terminal) else ("log" if enabled is None else "off")
        self._bar = None
        if self.mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, initial=initial, unit=unit, desc=desc, dynamic_ncols=True, file=sys.stderr,
                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]",
            )

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def eta_s(self) -> float | None:
        """Seconds left at the rate so far (per busy second when a clock is given); None before any item."""
        done = self.count - self.initial
        if done <= 0:
            return None
        elapsed = self.clock.seconds() if self.clock is not None else time.perf_counter() - self._started
        return (self.total - self.count) * elapsed / done

    def update(self, count: int = 1, postfix: str | None = None) -> None:
        with self._lock:
            self.count += count
            if postfix is not None:
                self.postfix = postfix
            self._show(force_postfix=True, advance=count)

    def refresh_postfix(self, postfix: str) -> None:
        """A new rate text, shown at most every POSTFIX_EVERY_S (called on every decoding step)."""
        with self._lock:
            self.postfix = postfix
            self._show(force_postfix=False, advance=0)

    def _text(self) -> str:
        eta = self.eta_s()
        parts = [self.postfix] if self.postfix else []
        parts.append(f"ETA {format_duration(eta)}" if eta is not None else "ETA ?")
        return ", ".join(parts)

    def _show(self, force_postfix: bool, advance: int) -> None:
        now = time.perf_counter()
        if self._bar is not None:
            if force_postfix or now - self._last_postfix >= POSTFIX_EVERY_S:
                self._last_postfix = now
                self._bar.set_postfix_str(self._text(), refresh=False)
                self._bar.update(advance)
                self._bar.refresh()
            return
        if self.mode == "log" and now - self._last_log >= LOG_EVERY_S:
            self._last_log = now
            log.info("%s: %d/%d %ss, %s", self.desc, self.count, self.total, self.unit, self._text())

    def close(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(self.postfix, refresh=False)
            self._bar.close()
            self._bar = None
        elif self.mode == "log" and self.count > self.initial:
            elapsed = format_duration(time.perf_counter() - self._started)
            log.info("%s: %d/%d %ss in %s%s", self.desc, self.count, self.total, self.unit, elapsed,
                     f", {self.postfix}" if self.postfix else "")
