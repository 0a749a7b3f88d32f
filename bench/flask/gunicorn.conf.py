# gunicorn settings of the Flask baseline: one sync worker on $PORT; prints
# `ready` once the worker has loaded the app.
import os

bind = "127.0.0.1:%s" % os.environ.get("PORT", "8080")
workers = 1
worker_class = "sync"
timeout = 600
graceful_timeout = 60
accesslog = None
errorlog = "-"
loglevel = "warning"


def post_worker_init(worker):
    print("ready", flush=True)
