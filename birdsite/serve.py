"""``python -m birdsite.serve``: what ``make run`` starts — migrate, the demo user, then web, the worker,
the retrain worker and beat, each restarted should it die (``birdsite/supervisor.py``).

Reads the same settings as manage.py (environment, optional ``.env``). Web is daphne (HTTP and
WebSocket) on 127.0.0.1:$PORT; the workers are ``celery -A workers worker`` on ``CELERY_QUEUE`` and on
``RETRAIN_QUEUE`` (a long retraining never holds up uploads). Ctrl-C stops them all.

The demo account (``DEMO_USER``, default ``demo``; empty: none) is created once, on the first start, with
a random password printed then; later starts never touch it, so a changed password stays changed.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "birdsite.settings")


def worker_commands(python: str, *, concurrency: int) -> dict[str, list[str]]:
    """The two Celery workers: classification (default queue) and retraining (its own queue and node)."""
    from django.conf import settings

    celery = [python, "-m", "celery", "-A", "workers", "worker", "--loglevel", "INFO"]
    return {
        "worker": [*celery, "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--concurrency", str(concurrency)],
        # One retraining at a time; it loads no classifier of its own (MODEL_PRELOAD off in its env).
        "retrain worker": [*celery, "-Q", settings.RETRAIN_QUEUE, "-n", "retrain@%h", "--concurrency", "1"],
    }


def demo_login_line(username: str) -> str:
    from birdsite.accounts.services import demo_user_ensure

    if not username:
        return "  no demo account (DEMO_USER is empty)"
    _, password = demo_user_ensure(username=username)
    if password is None:
        return (
            f"  demo login: {username} (password as first printed; change it with "
            f"`.venv/bin/python manage.py changepassword {username}`)"
        )
    return f"  demo login: {username} / {password}   (shown this once: note it or change it)"


def main() -> int:
    import django
    from django.conf import settings
    from django.core.management import call_command

    from birdsite.env import env_int, env_str
    from birdsite.supervisor import Child, Supervisor

    django.setup()
    host = env_str("HOST", "127.0.0.1")
    port = env_int("PORT", 8000, minimum=1)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)  # the throttles' cache without Redis (settings.CACHES)
    demo = demo_login_line(env_str("DEMO_USER", "demo").strip())
    python = sys.executable
    workers = worker_commands(python, concurrency=env_int("WORKER_CONCURRENCY", 1, minimum=1))
    children = [
        Child("web", [python, "-m", "daphne", "-b", host, "-p", str(port), "birdsite.asgi:application"]),
        Child("worker", workers["worker"]),
        Child("retrain worker", workers["retrain worker"], env={**os.environ, "MODEL_PRELOAD": "false"}),
        # The sweeper (workers/sweeper.py): queues again jobs whose worker died or never reached the broker.
        Child("beat", [python, "-m", "celery", "-A", "workers", "beat", "--loglevel", "INFO"]),
    ]
    push = (
        "WebSocket push (Redis)" if settings.REDIS_URL else "polling (no REDIS_URL: in-process channel layer)"
    )
    print(
        f"\n  birdsite is running at http://{host}:{port}/\n{demo}\n"
        f"  database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, results by {push}\n"
        "  Ctrl-C stops web, workers and beat; any of them that dies is started again.\n",
        flush=True,
    )
    return Supervisor(children, say=lambda line: print(line, flush=True)).run()


if __name__ == "__main__":
    sys.exit(main())
