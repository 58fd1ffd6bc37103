"""Keeps ``make run``'s processes alive: a child that dies is started again; Ctrl-C stops them all.

Plain subprocesses, no Django. A child that keeps dying right after it starts (a port in use, a broken
setting) is not restarted for ever: after ``max_quick_failures`` deaths in a row, each within
``stable_seconds`` of its start, everything is stopped and ``run`` returns 1.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str] | None = None
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None  # set while it waits for its restart
    quick_failures: int = 0
    restarts: int = 0
    exit_codes: list[int] = field(default_factory=list)


class Supervisor:
    def __init__(
        self,
        children: Sequence[Child],
        *,
        say: Callable[[str], None] = print,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
        stable_seconds: float = 60.0,
        max_quick_failures: int = 5,
        tick_seconds: float = 0.2,
    ) -> None:
        self.children = list(children)
        self.say = say
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.stable_seconds = stable_seconds
        self.max_quick_failures = max_quick_failures
        self.tick_seconds = tick_seconds
        self.stopping = False
        self.gave_up = False

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(list(child.argv), env=dict(child.env) if child.env else None)
        child.started_at, child.restart_at = time.monotonic(), None
        self.say(f"  {child.name} started (pid {child.process.pid})")

    def check(self) -> None:
        """One look at every child: note the ones that died, start again those whose wait is over."""
        now = time.monotonic()
        for child in self.children:
            if self.stopping or child.process is None:
                return
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restarts += 1
                    self._spawn(child)
                continue
            code = child.process.poll()
            if code is None:
                continue
            child.exit_codes.append(code)
            quick = now - child.started_at < self.stable_seconds
            child.quick_failures = child.quick_failures + 1 if quick else 0
            if child.quick_failures >= self.max_quick_failures:
                self.say(f"  {child.name} died {child.quick_failures} times right after starting; stopping")
                self.gave_up = True
                self.stop()
                return
            delay = self.backoff_seconds * 2 ** max(0, child.quick_failures - 1)
            delay = min(self.max_backoff_seconds, delay)
            pid = child.process.pid
            self.say(f"  {child.name} (pid {pid}) exited ({_describe(code)}); restarting in {delay:g}s")
            child.restart_at = now + delay

    def run(self) -> int:
        """Start the children and keep them running until ``stop`` (a signal); the exit status."""

        def request_stop(*_: object) -> None:
            self.stopping = True  # the loop ends; ``stop`` in ``finally`` terminates the children

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            while not self.stopping:
                self.check()
                time.sleep(self.tick_seconds)  # a supervisor's tick, not a wait for an event
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 1 if self.gave_up else 0

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping = True
        running = [c.process for c in self.children if c.process is not None and c.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"
