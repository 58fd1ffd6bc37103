"""The one settings module. Every value comes from the environment (or an optional ``.env``).

With nothing set it runs on SQLite, a SQLite-file Celery broker and an in-memory channel layer,
so a fresh clone needs nothing but Python. ``DATABASE_URL`` and ``REDIS_URL`` switch to
PostgreSQL, Redis as the broker and channels_redis. See README.md for the full table.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from birdsite import sqlite
from birdsite.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_optional,
    env_rate,
    env_str,
    load_dotenv,
)
from birdsite.media_storage import storages_from_env

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(Path(env_str("BIRDSITE_ENV_FILE", str(BASE_DIR / ".env"))))

VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_optional("SECRET_KEY")
    if key:
        return key
    # Self-hosting without configuration: one random key, kept in var/ so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ImproperlyConfigured(f"{path} is empty; delete it or set SECRET_KEY")
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SECURE_COOKIES = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Behind HTTPS (docs/operations.md, "Production settings"; `manage.py check --deploy` passes with these).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# true only behind a proxy that sets X-Forwarded-Proto itself (and strips it from clients).
_PROXY_SSL = env_bool("SECURE_PROXY_SSL_HEADER", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _PROXY_SSL else None
SESSION_COOKIE_HTTPONLY = True
# Failed logins per username, and per address (more: users share one), before "too many attempts".
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
LOGIN_FAILURE_ADDRESS_LIMIT = env_int("LOGIN_FAILURE_ADDRESS_LIMIT", 50, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900, minimum=1)
# Every login (page, admin, API token) goes through the throttled backend (birdsite/accounts/backends.py).
AUTHENTICATION_BACKENDS = ["birdsite.accounts.backends.ThrottledModelBackend"]
# Reverse proxies (addresses or networks) whose X-Forwarded-For names the client; throttles count per
# client address (birdsite/ratelimits.py). Empty: the socket's address is the client.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "birdsite.accounts",
    "birdsite.photos",
    "birdsite.sightings",
    "birdsite.api",
    "birdsite.batches",
    "birdsite.review",
    "birdsite.registry",
    "birdsite.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "birdsite.ops.metrics.RequestMetricsMiddleware",
    "birdsite.middleware.DatabaseUnavailableMiddleware",
    "birdsite.hardening.HardeningMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "birdsite.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "birdsite.urls"
WSGI_APPLICATION = "birdsite.wsgi.application"
ASGI_APPLICATION = "birdsite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "birdsite.sightings.context.waiting",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0, minimum=0),
    )
}
# How long a SQLite writer waits for another's write lock (database and broker file; birdsite/sqlite.py).
SQLITE_TIMEOUT_SECONDS = env_float("SQLITE_TIMEOUT_SECONDS", 30.0, minimum=0.1, maximum=3600)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = sqlite.database_options(timeout=SQLITE_TIMEOUT_SECONDS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "photos:upload"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "birdsite" / "static"]
WHITENOISE_USE_FINDERS = True  # serve straight from the source tree; collectstatic is optional
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}
# Photos on disk or in S3 (MEDIA_STORAGE_URL, birdsite/media_storage.py); views check the owner, stream them.
STORAGES = storages_from_env()
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

# --- Uploads -------------------------------------------------------------------------------------
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
UPLOAD_MAX_PIXELS = env_int("UPLOAD_MAX_PIXELS", 40_000_000, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
THUMBNAIL_SIZE = env_int("THUMBNAIL_SIZE", 320, minimum=32)
# Bytes of photos one account may keep (0: no quota), and free space always left on the media disk
# (birdsite/photos/storage.py); a refused upload stores nothing.
UPLOAD_QUOTA_BYTES = env_int("UPLOAD_QUOTA_BYTES", 0, minimum=0)
UPLOAD_MIN_FREE_BYTES = env_int("UPLOAD_MIN_FREE_BYTES", 100 * 1024 * 1024, minimum=0)
# Below this calibrated confidence the page says "not sure — compare these".
CONFIDENCE_THRESHOLD = env_float("CONFIDENCE_THRESHOLD", 0.6)
SIGHTINGS_PER_PAGE = env_int("SIGHTINGS_PER_PAGE", 24, minimum=1)

# --- Batches (many files, a folder or one ZIP) ---------------------------------------------------
# Jobs per worker task: the model runs on this many images at once.
BATCH_CHUNK_SIZE = env_int("BATCH_CHUNK_SIZE", 16, minimum=1)
BATCH_MAX_FILES = env_int("BATCH_MAX_FILES", 5000, minimum=1)
BATCH_ZIP_MAX_MEMBERS = env_int("BATCH_ZIP_MAX_MEMBERS", 2000, minimum=1)
BATCH_ZIP_MAX_BYTES = env_int("BATCH_ZIP_MAX_BYTES", 4 * 1024**3, minimum=1)
# Uncompressed size over compressed size, for the whole archive and for each member (zip bombs).
BATCH_ZIP_MAX_RATIO = env_int("BATCH_ZIP_MAX_RATIO", 50, minimum=1)
# The archive file itself (photos barely compress, so about the uncompressed limit).
BATCH_ZIP_MAX_ARCHIVE_BYTES = env_int("BATCH_ZIP_MAX_ARCHIVE_BYTES", 4 * 1024**3, minimum=1)
BATCH_ZIP_MAX_PIXELS = env_int("BATCH_ZIP_MAX_PIXELS", 1_000_000_000, minimum=1)  # as decoded, all members

# --- REST API (/api/v1/, birdsite/api) -----------------------------------------------------------
# Throttle rates are "N/second|minute|hour|day"; uploads count per user and per client IP, requests and
# photos (each file, each ZIP member; a full batch, BATCH_MAX_FILES, fits in a user's hour).
API_THROTTLE_RATES = {
    "upload_user": env_rate("API_UPLOAD_RATE_USER", "120/hour"),
    "upload_ip": env_rate("API_UPLOAD_RATE_IP", "240/hour"),
    "upload_photos_user": env_rate("API_UPLOAD_PHOTO_RATE_USER", "6000/hour"),
    "upload_photos_ip": env_rate("API_UPLOAD_PHOTO_RATE_IP", "12000/hour"),
    "token_ip": env_rate("API_TOKEN_RATE_IP", "20/hour"),
    "signup_ip": env_rate("SIGNUP_RATE_IP", "10/hour"),  # new accounts per client address
}
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 20, minimum=1)
# ?wait=N on a classification holds the answer at most this long; at most this many at once.
API_WAIT_MAX_SECONDS = env_int("API_WAIT_MAX_SECONDS", 30, minimum=0)
API_WAIT_MAX_CONCURRENT = env_int("API_WAIT_MAX_CONCURRENT", 32, minimum=1)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "birdsite.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "birdsite.api.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "birdsite.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "birdsite.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "birdsite API",
    "DESCRIPTION": "Identify birds in photos, keep sightings. Guide: docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc from the installed sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ClassificationStatusEnum": "birdsite.photos.models.ClassificationJob.Status",
        "BatchStatusEnum": "birdsite.batches.models.Batch.Status",
        "ModelVersionStatusEnum": "birdsite.registry.models.ModelVersion.Status",
        "ReviewVerdictEnum": "birdsite.review.models.ReviewDecision.Verdict",
        "AnswerKindEnum": "birdsite.photos.models.BirdAnswer.Kind",
    },
}

# --- Redis, Celery, Channels ---------------------------------------------------------------------
REDIS_URL = env_optional("REDIS_URL")
# Throttle counters (birdsite/ratelimits.py) must be shared by every process: Redis, else the database
# (`manage.py createcachetable`, which `make run` does) through a cache whose incr is exact.
if REDIS_URL:
    CACHE_BACKEND, CACHE_LOCATION = "django.core.cache.backends.redis.RedisCache", REDIS_URL
else:
    CACHE_BACKEND, CACHE_LOCATION = "birdsite.db_cache.DatabaseCache", "birdsite_cache"
CACHES = {
    "default": {
        "BACKEND": CACHE_BACKEND,
        "LOCATION": CACHE_LOCATION,
        "KEY_PREFIX": env_str("CACHE_PREFIX", "birdsite"),
    }
}

CELERY_BROKER_URL = (
    env_optional("CELERY_BROKER_URL") or REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}"
)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "birdsite")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True  # the ClassificationJob row is the truth, not a result backend
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # An unacknowledged task (worker killed) is redelivered after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)
    }
CELERY_TASK_ALWAYS_EAGER = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Tasks routed to the "gpu" queue when BIRDSITE_GPU_QUEUE is on (workers/routing.py); everything else
# stays on CELERY_TASK_DEFAULT_QUEUE. Turn it on only where a gpu-worker consumes that queue.
CELERY_TASK_ROUTES = ("workers.routing.route_task",)
GPU_QUEUE_ENABLED = env_bool("BIRDSITE_GPU_QUEUE", False)
# --- Retrain queue and the embedded broker's polling (issue 11; workers/retrain_tasks.py, serve.py) ------
# Retraining has its own queue and worker (`make run`, compose's retrain-worker), so a long training never
# keeps uploads waiting; routed here, so the sending code (classification/queue.py) names no queue.
RETRAIN_QUEUE = env_str("RETRAIN_QUEUE", "birdsite-retrain")
if RETRAIN_QUEUE == CELERY_TASK_DEFAULT_QUEUE:
    raise ImproperlyConfigured(f"RETRAIN_QUEUE={RETRAIN_QUEUE!r} must differ from CELERY_QUEUE")
CELERY_TASK_ROUTES = (*CELERY_TASK_ROUTES, {"workers.retrain": {"queue": RETRAIN_QUEUE}})
# With no broker configured: a SQLite file, through workers/embedded_broker.py, which workers poll every
# CELERY_BROKER_POLL_SECONDS (kombu's 1 s made one upload take a second).
CELERY_BROKER_POLL_SECONDS = env_float("CELERY_BROKER_POLL_SECONDS", 0.01, minimum=0.001, maximum=10)
if CELERY_BROKER_URL.startswith("sqla+sqlite:") and not (env_optional("CELERY_BROKER_URL") or REDIS_URL):
    CELERY_BROKER_URL = CELERY_BROKER_URL.removeprefix("sqla+")
    CELERY_BROKER_TRANSPORT = "workers.embedded_broker:Transport"

# --- Inference (classifier/, birdsite/classification/processing.py) -------------------------------
# Every option of the classifier is read here and passed to classifier.load(); the classifier itself
# reads no environment. tensorflow | litert | int8 | auto (the fastest engine that passes its parity check).
BIRDSITE_ENGINE = env_choice("BIRDSITE_ENGINE", "auto", ("auto", "litert", "int8", "tensorflow"))
# LiteRT's float precision (float16 halves the model file; the parity check still decides).
_PRECISIONS = ("float32", "float16", "dynamic-int8")
BIRDSITE_LITERT_PRECISION = env_choice("BIRDSITE_LITERT_PRECISION", "float32", _PRECISIONS)
# Threads of the inference engine; 0: one per core.
BIRDSITE_THREADS = env_int("BIRDSITE_THREADS", 0, minimum=0)
# Test-time flip: default (the model's own choice), auto (only when the first pass is unsure), on, off.
BIRDSITE_TTA = env_choice("BIRDSITE_TTA", "default", ("default", "unsure", "always", "never"))
# Answers kept per bird, birds kept per photo, and the longest error text stored on a job.
TOP_K = env_int("TOP_K", 5, minimum=1)
MAX_BIRDS_PER_PHOTO = env_int("MAX_BIRDS_PER_PHOTO", 4, minimum=1)
JOB_ERROR_MAX_CHARS = env_int("JOB_ERROR_MAX_CHARS", 2000, minimum=100)
# The progress a job shows once a worker claimed it (0 waiting, 100 finished).
JOB_PROGRESS_CLAIMED = env_int("JOB_PROGRESS_CLAIMED", 10, minimum=1)
# Most images per forward pass: single uploads waiting together share one; batch chunks run in these.
BIRDSITE_BATCH_SIZE = env_int("BIRDSITE_BATCH_SIZE", 32, minimum=1)
# How long a task that claimed one upload looks for others to run with it.
BIRDSITE_BATCH_WAIT_MS = env_int("BIRDSITE_BATCH_WAIT_MS", 5, minimum=0)
# Directory of the model to serve; empty means the classifier's default model.
MODEL_DIR = env_optional("MODEL_DIR")
# Load the model as each worker process starts (in a thread, after fork) instead of on the first job.
MODEL_PRELOAD = env_bool("MODEL_PRELOAD", True)
# A claim holds a lease that its worker renews every JOB_LEASE_RENEW_SECONDS while it works; a job whose
# lease ran out (its worker died) may be claimed again. Rows claimed before leases existed fall back to
# JOB_STALE_SECONDS since their claim.
# 15 s renewed every 3 s: four renewals in a row may fail before a healthy job loses its lease.
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 15, minimum=5)
JOB_LEASE_RENEW_SECONDS = env_float("JOB_LEASE_RENEW_SECONDS", 3.0)
if not 0 < JOB_LEASE_RENEW_SECONDS < JOB_LEASE_SECONDS:
    raise ImproperlyConfigured("JOB_LEASE_RENEW_SECONDS must be above 0 and below JOB_LEASE_SECONDS")
JOB_STALE_SECONDS = env_int("JOB_STALE_SECONDS", 600, minimum=10)
# The sweeper (`celery beat` → workers.sweep, every SWEEP_INTERVAL_SECONDS): expired leases go back to
# PENDING; PENDING jobs older than SWEEP_PENDING_SECONDS are sent again while the queues are empty (their
# message never reached the broker, or it lost them), and older than SWEEP_PENDING_MAX_SECONDS in any case.
# Every 5 s: a dead worker's jobs come back within JOB_LEASE_SECONDS + this, 20 s (a sweep: a few queries).
SWEEP_INTERVAL_SECONDS = env_float("SWEEP_INTERVAL_SECONDS", 5.0)
SWEEP_PENDING_SECONDS = env_float("SWEEP_PENDING_SECONDS", 60.0)
SWEEP_PENDING_MAX_SECONDS = env_float("SWEEP_PENDING_MAX_SECONDS", 3600.0)
_EVERY = SWEEP_INTERVAL_SECONDS
CELERY_BEAT_SCHEDULE = {
    "sweep": {"task": "workers.sweep", "schedule": _EVERY, "options": {"expires": _EVERY}}
}
# celery beat's state, and the file it touches on every tick (its docker-compose healthcheck).
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "workers.sweeper:HeartbeatScheduler"
BEAT_HEARTBEAT_FILE = Path(env_str("BEAT_HEARTBEAT_FILE", str(VAR_DIR / "beat-heartbeat")))

# --- Model registry and retraining (birdsite/registry, birdsite/review) --------------------------
# Models trained at runtime are written here, never into the source tree.
MODEL_STORE_DIR = Path(env_str("MODEL_STORE_DIR", str(VAR_DIR / "models")))
# Folder holding the bird datasets (cub100/, gpiosenka525/); RETRAIN_DATASETS names dataset folders.
BIRDSITE_DATASETS = Path(env_str("BIRDSITE_DATASETS", str(BASE_DIR.parent / "shared" / "datasets" / "birds")))
_DEFAULT_DATASETS = [str(BIRDSITE_DATASETS / name) for name in ("cub100", "gpiosenka525")]
RETRAIN_DATASETS = [Path(p) for p in env_list("RETRAIN_DATASETS", _DEFAULT_DATASETS)]
# Workers look up the active model version at most this often (seconds) and reload when it changed.
MODEL_CHECK_SECONDS = env_float("MODEL_CHECK_SECONDS", 2.0)
# A retraining not finished after this long is marked failed when the next one is started.
RETRAIN_STALE_SECONDS = env_int("RETRAIN_STALE_SECONDS", 6 * 3600, minimum=60)

# --- Operations (birdsite/ops): health, metrics, backups, retention ------------------------------
# Each worker process records a heartbeat (hostname, pid, queues, model) this often; older than
# WORKER_HEARTBEAT_STALE_SECONDS it no longer counts for /readyz. The worker's main process also touches
# WORKER_HEARTBEAT_FILE (its docker-compose healthcheck).
WORKER_HEARTBEAT_SECONDS = env_float("WORKER_HEARTBEAT_SECONDS", 15.0)
WORKER_HEARTBEAT_STALE_SECONDS = env_float("WORKER_HEARTBEAT_STALE_SECONDS", 60.0)
WORKER_HEARTBEAT_FILE = Path(env_str("WORKER_HEARTBEAT_FILE", str(VAR_DIR / "worker-heartbeat")))
# /metrics answers a request with "Authorization: Bearer <METRICS_TOKEN>", or one from these networks.
METRICS_TOKEN = env_optional("METRICS_TOKEN")
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS")
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(VAR_DIR / "backups")))
# Originals older than this many days are replaced by their thumbnail (0: keep forever), and/or only the
# best N photos of each species per user keep theirs (0: no limit). `manage.py retention --apply`.
RETENTION_ORIGINALS_DAYS = env_int("RETENTION_ORIGINALS_DAYS", 0, minimum=0)
RETENTION_BEST_PER_SPECIES = env_int("RETENTION_BEST_PER_SPECIES", 0, minimum=0)

# Without Redis, one process only: the worker cannot reach the page, which then falls back to polling.
_CHANNELS = {"hosts": [REDIS_URL], "prefix": env_str("CHANNELS_PREFIX", "birdsite")}
CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": _CHANNELS}
    if REDIS_URL
    else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Expected answers (a refusal, a 403, a 404) log one line, no traceback (birdsite/logfilters.py).
    "filters": {"expected": {"()": "birdsite.logfilters.ExpectedAnswers"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["expected"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
