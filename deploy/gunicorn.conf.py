"""Gunicorn settings for the DHR tracker: `gunicorn --config deploy/gunicorn.conf.py dhr_tracker.wsgi`.

Each setting can be changed through the environment (documented in deploy/env.production.example);
the defaults suit the host described in docs/operations.md, behind the nginx of
deploy/nginx/dhr-tracker.conf.
"""

import os
import re

from gunicorn import glogging

from dhr_tracker.environment import env_int, env_str

# Loopback by default: only nginx on the same host may reach gunicorn, because the app believes the
# X-Forwarded-Proto and X-Forwarded-For that nginx sets (BEHIND_TLS_PROXY, TRUSTED_PROXY_COUNT).
# Containers listen on 0.0.0.0:8000 and rely on their network to admit only the proxy.
bind = env_str("GUNICORN_BIND", "127.0.0.1:8000")

# Uploads are encrypted as they arrive (sharing.uploads) and nginx passes them through unbuffered,
# so plaintext never touches disk; the price is that a request holds its handler for the whole
# transfer: a 2 GiB upload over a 20 Mbit/s line takes about 15 minutes, and downloads stream just
# as long. With the sync worker that would tie up a whole process, and its heartbeat `timeout`
# would have to exceed the slowest transfer, so it could no longer catch a hung worker. The
# gthread worker's main loop keeps the heartbeat while threads serve requests: a long transfer
# holds one thread, and `timeout` still kills a worker whose main loop is stuck. (gevent would
# need psycopg, boto3 and cryptography patched for cooperative I/O: not worth the risk.)
worker_class = "gthread"
workers = env_int("GUNICORN_WORKERS", default=max(2, os.cpu_count() or 1), minimum=1)
# Each thread keeps its own database connection (conn_max_age 60 s), so PostgreSQL must allow
# workers x threads connections per web host, plus the Celery workers' and two for verify_audit.
threads = env_int("GUNICORN_THREADS", default=8, minimum=1)
timeout = env_int("GUNICORN_TIMEOUT", default=30, minimum=1)
# How long a stopping or restarting worker may finish what it serves before it is killed. An
# upload cut off is refused whole ("Nothing was stored. Try again"), never half-stored, but a
# long one is lost: 15 minutes lets a 2 GiB upload over 20 Mbit/s finish. systemd's
# TimeoutStopSec and Kubernetes' terminationGracePeriodSeconds are set a little longer.
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", default=900, minimum=1)
# Longer than nginx's upstream keepalive_timeout (60 s), so nginx, not gunicorn, closes idle
# connections and never sends a request on one gunicorn has just closed.
keepalive = env_int("GUNICORN_KEEPALIVE", default=75, minimum=1)
# Restart each worker after this many requests (staggered by the jitter) to bound slow leaks; a
# restarting worker finishes its transfers first (graceful_timeout) while its successor serves.
max_requests = env_int("GUNICORN_MAX_REQUESTS", default=1000, minimum=0)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", default=100, minimum=0)

# Gunicorn believes the scheme header only from these addresses (for wsgi.url_scheme). Django
# decides for itself whether a request came over HTTPS from X-Forwarded-Proto (BEHIND_TLS_PROXY),
# which is why gunicorn must be reachable from the proxy alone.
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Only the one header nginx sets: a client's own X-Forwarded-Ssl disagreeing with it would
# otherwise make gunicorn refuse the request.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# The heartbeat file is touched every second; on a disk-backed /tmp that can stall a worker.
worker_tmp_dir = env_str("GUNICORN_WORKER_TMP_DIR") or ("/dev/shm" if os.path.isdir("/dev/shm") else None)  # noqa: S108
# No runtime control socket (gunicorn 25.1+): signals do the same, and its default place is under
# $HOME, which the hardened services cannot write. Older gunicorn ignores the setting.
control_socket_disable = True

# Logs go to standard output and error, that is the journal or the container log.
accesslog = "-"
errorlog = "-"
loglevel = env_str("GUNICORN_LOG_LEVEL", "info")
# The path without its query string: query strings carry what people search for, such as the
# e-mail addresses in an audit search or a name in the user list. The request id matches the
# audit trail's (audit.middleware sends it as X-Request-ID).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'

# A password-reset link's token stays in its path (accounts.views.password_reset_confirm) and
# lets whoever holds it, for an hour, choose the account's password: never log it.
RESET_TOKEN = re.compile(r"^(/password-reset/[^/]+/)[^/]+/")


class RedactingLogger(glogging.Logger):
    """Gunicorn's logger, with the token of a password-reset link taken out of the logged path."""

    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = RESET_TOKEN.sub(r"\1[redacted]/", atoms["U"] or "")
        return atoms


logger_class = RedactingLogger
