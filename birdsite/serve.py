"""``python -m birdsite.serve``: what ``make run`` starts — migrate, demo user, web + worker + beat.

Reads the same settings as manage.py (environment, optional ``.env``). Web is daphne (HTTP and
WebSocket) on 127.0.0.1:$PORT; the worker is ``celery -A workers worker``. Ctrl-C stops both; if
either dies the other is stopped too and the exit status is non-zero.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "birdsite.settings")

DEMO_USER = "demo"
DEMO_PASSWORD = "birdwatcher"


def main() -> int:
    import django
    from django.conf import settings
    from django.core.management import call_command

    from birdsite.env import env_int, env_str

    django.setup()
    host = env_str("HOST", "127.0.0.1")
    port = env_int("PORT", 8000, minimum=1)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("ensure_demo_user", username=DEMO_USER, password=DEMO_PASSWORD)
    python = sys.executable
    web = [python, "-m", "daphne", "-b", host, "-p", str(port), "birdsite.asgi:application"]
    worker = [python, "-m", "celery", "-A", "workers", "worker", "-Q", settings.CELERY_TASK_DEFAULT_QUEUE]
    worker += ["--concurrency", str(env_int("WORKER_CONCURRENCY", 1, minimum=1)), "--loglevel", "INFO"]
    # The sweeper (workers/sweeper.py): queues again jobs whose worker died or that never reached the broker.
    beat = [python, "-m", "celery", "-A", "workers", "beat", "--loglevel", "INFO"]
    children = [subprocess.Popen(web), subprocess.Popen(worker), subprocess.Popen(beat)]

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    push = (
        "WebSocket push (Redis)" if settings.REDIS_URL else "polling (no REDIS_URL: in-process channel layer)"
    )
    print(
        f"\n  birdsite is running at http://{host}:{port}/\n"
        f"  demo login: {DEMO_USER} / {DEMO_PASSWORD}\n"
        f"  database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, results by {push}\n"
        "  Ctrl-C stops web, worker and beat.\n",
        flush=True,
    )
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    stop()
    codes = [child.wait() for child in children]
    return 0 if all(code in (0, -signal.SIGTERM, -signal.SIGINT) for code in codes) else 1


if __name__ == "__main__":
    sys.exit(main())
