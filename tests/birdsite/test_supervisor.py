"""birdsite.supervisor with real child processes: restart after a kill, give up on a crash loop, stop all."""

from __future__ import annotations

import os
import signal
import sys
import threading

from birdsite.supervisor import Child, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(300)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


def test_a_child_killed_with_sigkill_is_started_again_and_the_others_are_left_alone() -> None:
    said: list[str] = []
    web, worker = Child("web", SLEEPER), Child("worker", SLEEPER)
    supervisor = Supervisor([web, worker], say=said.append, backoff_seconds=0, tick_seconds=0.01)
    supervisor.start()
    try:
        first_web, first_worker = web.process, worker.process
        os.kill(first_worker.pid, signal.SIGKILL)
        first_worker.wait()
        supervisor.check()  # notes the death
        supervisor.check()  # starts it again (no back-off here)
        assert worker.process is not first_worker and worker.process.poll() is None
        assert worker.restarts == 1 and worker.exit_codes == [-signal.SIGKILL]
        assert web.process is first_web and web.process.poll() is None
        assert any("worker" in line and "killed by SIGKILL" in line for line in said)
    finally:
        supervisor.stop()
    assert web.process.poll() is not None and worker.process.poll() is not None


def test_a_child_that_dies_right_after_every_start_stops_everything() -> None:
    said: list[str] = []
    sleeper, crasher = Child("web", SLEEPER), Child("beat", CRASHER)
    supervisor = Supervisor(
        [sleeper, crasher], say=said.append, backoff_seconds=0, max_quick_failures=3, tick_seconds=0.01
    )
    assert supervisor.run() == 1
    assert crasher.exit_codes == [3, 3, 3] and supervisor.gave_up
    assert sleeper.process.poll() is not None  # stopped with the rest
    assert "beat died 3 times right after starting; stopping" in said[-1]


def test_sigterm_stops_the_children_without_restarting_them() -> None:
    child = Child("web", SLEEPER)
    supervisor = Supervisor([child], say=lambda _: None, tick_seconds=0.01)
    started = threading.Event()
    supervisor.say = lambda line: started.set()
    timer = threading.Thread(target=lambda: started.wait(30) and os.kill(os.getpid(), signal.SIGTERM))
    timer.start()
    assert supervisor.run() == 0
    timer.join()
    assert child.restarts == 0 and child.process.poll() == -signal.SIGTERM
