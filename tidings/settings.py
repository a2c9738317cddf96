"""Tidings settings: every environment variable is read here, once, and nowhere else.

TIDINGS_ENV            "development" (default) or "production"; production requires a secret key
TIDINGS_DEBUG          "1" turns on Django's debug pages (never on by default)
TIDINGS_SECRET_KEY     required in production; in development generated once into var/secret_key
TIDINGS_DATA_DIR       where the SQLite file, the secret key and converted models live (default ./var)
DATABASE_URL           default sqlite:///<data dir>/tidings.sqlite3; postgres://… for the scaled setup
TIDINGS_ALLOW_PRIVATE_HOSTS  comma-separated hosts the fetcher may reach although they are private
                       (tests and local mirrors use 127.0.0.1)
TIDINGS_ALLOWED_HOSTS  comma-separated host names served (default: localhost, 127.0.0.1)
TIDINGS_READERS_ADD_FEEDS  "1" lets signed-in readers add feeds of their own through a feed-reader app
                       (Google Reader API quickadd and subscribe); off by default, so only the operator adds
                       feeds and readers follow publishers from the catalogue
TIDINGS_WORKERS        worker processes started by `tidings run` and `tidings ingest` (default 2)
TIDINGS_WORKER_THREADS  tasks each worker process runs at once (default 2): while one waits on publishers'
                       servers, another uses the CPU; they share the process's models (docs/benchmarks.md)
TIDINGS_STORIES        "off" to stop ingest after extraction (no stories, related lists or AI)
TIDINGS_ENCODER_THREADS  threads of the embedding model per process (default 1)
TIDINGS_ENCODER_PRECISION  "fp32" (default) or "int8": the embedding model the story stage runs for article
                       vectors; int8 (per-channel, quantised once into the data directory) is ~1.5x cheaper a
                       text, its vectors 0.985-0.99 cosine to fp32 (docs/benchmarks.md); questions stay fp32
TIDINGS_VECTOR_INDEX   "exact" (default: each worker scans its own matrix), "files" (HNSW files under the data
                       directory, memory-mapped by every worker of a machine) or "pgvector" (pgvector's HNSW index
                       in the PostgreSQL database, shared by every machine; needs the extension there)
TIDINGS_LLM_URL, TIDINGS_LLM_MODEL, TIDINGS_LLM_API_KEY  an OpenAI-compatible chat endpoint (optional)
TIDINGS_LLM_DAILY_TOKENS  tokens the generative model may spend a day (default 200000), then the built-in engine
TIDINGS_EMAIL_BACKEND  Django email backend (default: console); TIDINGS_EMAIL_HOST, TIDINGS_EMAIL_PORT,
                       TIDINGS_EMAIL_USER, TIDINGS_EMAIL_PASSWORD, TIDINGS_EMAIL_TLS for SMTP
TIDINGS_FROM_EMAIL     the sender of password-reset e-mails (default "Tidings <tidings@localhost>")
TIDINGS_LLM_TIMEOUT    seconds to wait for the generative model's endpoint (default 60)
TIDINGS_TASK_BACKEND   the django-tasks backend (default the database queue; tests run tasks inline)
TIDINGS_LOG_LEVEL      level of the root logger (default WARNING)
TIDINGS_COMMENT_ADDRESS_LIMITS  comments allowed per address, "window_seconds:count,…" (default 60:5,86400:50)
TIDINGS_FETCH_TIMEOUT  seconds to wait for a publisher's server to connect or answer (default 10)
TIDINGS_CACHE_URL      redis://host:port/db for the cache shared by web and worker processes (default: files in
                       the data directory; use Redis when web and workers run on several machines)
TIDINGS_KEEP_ARTICLES_DAYS  delete articles published longer ago than this, in the background (at least 7;
                       saved and commented articles are kept); unset: articles are kept for ever
TIDINGS_BEHIND_TLS_PROXY  "1" when a proxy in front terminates TLS and sets X-Forwarded-Proto (trusted as
                       HTTPS; only behind a proxy that always sets or strips that header)
TIDINGS_HSTS_SECONDS   production: how long browsers must use HTTPS only (default 31536000, a year)
TIDINGS_HSTS_INCLUDE_SUBDOMAINS  production: "0" to leave subdomains out of HSTS (default "1")
TIDINGS_HSTS_PRELOAD   production: "0" to leave "preload" out of the HSTS header (default "1")
TIDINGS_CSP_REPORTS_PER_MINUTE  Content-Security-Policy violation reports logged per process a minute (default 30)
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# ONNX Runtime writes a telemetry device id under ~/.cache when imported, unless told not to.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

BASE_DIR = Path(__file__).resolve().parent.parent
ENVIRONMENT = os.environ.get("TIDINGS_ENV", "development")
DEBUG = os.environ.get("TIDINGS_DEBUG", "") == "1"
DATA_DIR = Path(os.environ.get("TIDINGS_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
(DATA_DIR / "static").mkdir(exist_ok=True)  # whitenoise serves from the apps; this only silences its warning


def _secret_key() -> str:
    key = os.environ.get("TIDINGS_SECRET_KEY", "")
    if key:
        return key
    if ENVIRONMENT == "production":
        raise ImproperlyConfigured("TIDINGS_SECRET_KEY must be set when TIDINGS_ENV=production.")
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

_database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'tidings.sqlite3'}"
if ENVIRONMENT == "production" and "DATABASE_URL" not in os.environ:
    raise ImproperlyConfigured("DATABASE_URL must be set when TIDINGS_ENV=production.")
DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets the web server read while workers write; IMMEDIATE transactions take the write lock
    # up front so two writers queue on busy_timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
            " PRAGMA foreign_keys=ON; PRAGMA cache_size=-32000;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, so psycopg prepares a query after its fifth run on a connection and
    # PostgreSQL stops planning it again: planning was most of a page's short queries (an article by its id,
    # 0.5 of 0.6 ms). Not for a pooler in transaction mode (prepared statements belong to one connection); a
    # migration that changes a column's type wants the web processes restarted, as every deploy does.
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("TIDINGS_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()
]
ALLOW_PRIVATE_HOSTS = frozenset(
    h.strip().lower() for h in os.environ.get("TIDINGS_ALLOW_PRIVATE_HOSTS", "").split(",") if h.strip()
)
MODELS_DIR = DATA_DIR / "models"
# Readers may add feeds of their own from a feed-reader app (Google Reader API quickadd and subscribe).
READERS_MAY_ADD_FEEDS = os.environ.get("TIDINGS_READERS_ADD_FEEDS", "") == "1"
# "off" stops ingest after extraction: no vectors, stories, hashtags, related lists or key points
# (a feed reader on small hardware; also how bench/pipeline.py measures the foundation alone).
STORIES_ENABLED = os.environ.get("TIDINGS_STORIES", "on") != "off"
# Threads of the embedding model in each worker process: workers already use every core.
ENCODER_THREADS = int(os.environ.get("TIDINGS_ENCODER_THREADS", "1"))
# The article vectors' model: fp32 (the model itself) or int8 (per-channel quantised copy, cheaper, approximate).
ENCODER_PRECISION = os.environ.get("TIDINGS_ENCODER_PRECISION", "fp32")
if ENCODER_PRECISION not in ("fp32", "int8"):
    raise ImproperlyConfigured("TIDINGS_ENCODER_PRECISION must be fp32 or int8.")
VECTOR_INDEX = os.environ.get("TIDINGS_VECTOR_INDEX", "exact")
if VECTOR_INDEX not in ("exact", "files", "pgvector"):
    raise ImproperlyConfigured(
        "TIDINGS_VECTOR_INDEX must be exact (in-process brute force), files (HNSW files) or pgvector (PostgreSQL)."
    )
WORKER_PROCESSES = int(os.environ.get("TIDINGS_WORKERS", "2"))
# Two task runners per worker process: a runner fetching pages mostly waits on the publisher's server
# (~76 % of an extraction task on the evaluation mirror), and a second one in the same process uses that
# time without loading the models again. bench/pipeline.py, docs/benchmarks.md "Throughput".
WORKER_THREADS = int(os.environ.get("TIDINGS_WORKER_THREADS", "2"))
if WORKER_THREADS < 1:
    raise ImproperlyConfigured("TIDINGS_WORKER_THREADS must be 1 or more.")
FETCH_TIMEOUT_SECONDS = float(os.environ.get("TIDINGS_FETCH_TIMEOUT", "10"))


def _keep_articles() -> timedelta | None:
    days = os.environ.get("TIDINGS_KEEP_ARTICLES_DAYS", "").strip()
    if not days:
        return None
    if not days.isdigit() or int(days) < 7:
        # Stories and related lists look three days back, trending two: a week keeps every page whole.
        raise ImproperlyConfigured("TIDINGS_KEEP_ARTICLES_DAYS must be a whole number of days, 7 or more.")
    return timedelta(days=int(days))


KEEP_ARTICLES = _keep_articles()

# Optional generative model behind an OpenAI-compatible endpoint; without it the built-in engine writes.
LLM_URL = os.environ.get("TIDINGS_LLM_URL", "")
LLM_MODEL = os.environ.get("TIDINGS_LLM_MODEL", "")
LLM_API_KEY = os.environ.get("TIDINGS_LLM_API_KEY", "")
LLM_TIMEOUT = float(os.environ.get("TIDINGS_LLM_TIMEOUT", "60"))
LLM_DAILY_TOKENS = int(os.environ.get("TIDINGS_LLM_DAILY_TOKENS", "200000"))


def _limits(value: str) -> tuple[tuple[int, int], ...]:
    """ "60:5,86400:50" → ((60, 5), (86400, 50)): (window seconds, actions allowed)."""
    return tuple(tuple(int(n) for n in part.split(":")) for part in value.split(",") if part.strip())


# Comments allowed per address (per reader the limit is fixed in comments/actions.py). Many readers
# can share one address (an office, a campus, a carrier's NAT): operators may raise this.
COMMENT_ADDRESS_LIMITS = _limits(os.environ.get("TIDINGS_COMMENT_ADDRESS_LIMITS", "60:5,86400:50"))

CACHE_URL = os.environ.get("TIDINGS_CACHE_URL", "")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("TIDINGS_CACHE_URL must be a redis:// (or rediss://, unix://) address.")
CACHES = {
    # Shared by every web and worker process (workers invalidate what pages cache, core.pagecache), so
    # never the per-process local-memory cache: Redis when scaled over several machines, else files in the
    # data directory. Rate limits do not live here (core.ratelimit keeps them in the database).
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {
        "BACKEND": "core.filecache.FileCache",  # Django's file cache, culled less often
        "LOCATION": str(DATA_DIR / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "ninja",  # the API's docs page then uses its bundled scripts, not a CDN the CSP would refuse
    "django_tasks",
    "django_tasks_db",
    "tidings",
    "core",
    "accounts",
    "sources",
    "articles",
    "stories",
    "ai",
    "api",
    "comments",
    "readers",
    "search",
    "web",
    "greader",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "tidings.urls"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Argon2 first: memory-hard, the current recommendation; PBKDF2 stays to read older hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14  # two weeks, then sign in again
SESSION_EXPIRE_AT_BROWSER_CLOSE = False
# Sessions are written to the database and read from the cache (the shared cache above): every signed-in
# request reads its session, and a cache read costs a fraction of a query; a cleared cache loses no session.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
EMAIL_BACKEND = os.environ.get("TIDINGS_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("TIDINGS_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("TIDINGS_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("TIDINGS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("TIDINGS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("TIDINGS_EMAIL_TLS", "") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("TIDINGS_FROM_EMAIL", "Tidings <tidings@localhost>")
WSGI_APPLICATION = "tidings.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TIDINGS_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "pages"],
    }
}

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the apps: `tidings run` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
if ENVIRONMENT == "production":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # HTTPS only: plain-HTTP requests are redirected, and browsers are told to never ask over HTTP again
    # (a year, subdomains included, so they cannot be used to strip TLS either).
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("TIDINGS_HSTS_SECONDS", str(365 * 86400)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("TIDINGS_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
    # "preload" in the header only allows the operator to submit the domain to browsers' preload list
    # (hstspreload.org); nothing happens until they do. TIDINGS_HSTS_PRELOAD=0 leaves it out, an
    # explicit choice, so Django's deploy check stops asking for it.
    SECURE_HSTS_PRELOAD = os.environ.get("TIDINGS_HSTS_PRELOAD", "1") == "1"
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
if os.environ.get("TIDINGS_BEHIND_TLS_PROXY", "") == "1":
    # The proxy in front terminates TLS and says so in X-Forwarded-Proto. Only set this behind a proxy
    # that always sets (or strips) that header: a client could otherwise claim HTTPS by sending it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy on every response (django-csp). Pages run only Tidings' own static scripts
# and styles: no inline script, event-handler attribute or style attribute, so stored markup that
# slipped past the sanitizer still cannot run. Images come from publishers anywhere on the web (https;
# plain http too outside production, where pages themselves are served over http).
CSP_REPORT_PATH = "/csp-report/"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "https:"] + ([] if ENVIRONMENT == "production" else ["http:"]),
        "connect-src": [SELF],
        "font-src": [SELF],
        "media-src": [NONE],
        "frame-src": [NONE],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "report-uri": CSP_REPORT_PATH,
    }
}
# Violation reports the endpoint logs per process and minute; beyond that they are only counted.
CSP_REPORTS_LOGGED_PER_MINUTE = int(os.environ.get("TIDINGS_CSP_REPORTS_PER_MINUTE", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TIDINGS_LOG_LEVEL", "WARNING")},
    "loggers": {"django_tasks": {"level": "WARNING"}, "trafilatura": {"level": "ERROR"}},
}
