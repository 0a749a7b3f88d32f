"""The Flask + Flask-Login baseline of bench/compare.sh: the routes of
bench/src/bin/actix-login.rs on the real library, served by gunicorn with one
sync worker. Runs on Flask 3.1 + Flask-Login 0.6.3 and on Flask 0.12 +
Flask-Login 0.2.4 (requirements-*.txt beside this file).

  GET /login?id=1[&remember=1]   logs user 1 in (2 bob inactive, 3 carol)
  GET /protected                 `protected 1` behind @login_required;
                                 401, or a redirect to BENCH_LOGIN_VIEW
  GET /anon                      `anon`, never asks for the user

BENCH_PROTECTION=off|basic|strong, PARITY_SECRET (default parity-secret).
Flask's session cookie is `session`, signed (itsdangerous), not Secure.
"""
import os

from flask import Flask, Response, request
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user

SECRET = os.environ.get("PARITY_SECRET", "parity-secret")
PROTECTION = os.environ.get("BENCH_PROTECTION", "basic")
LOGIN_VIEW = os.environ.get("BENCH_LOGIN_VIEW") or None

app = Flask(__name__)
app.secret_key = SECRET
app.config["SESSION_COOKIE_NAME"] = "session"
app.config["SESSION_COOKIE_SECURE"] = False

login_manager = LoginManager()
login_manager.init_app(app)
login_manager.session_protection = None if PROTECTION in ("off", "none", "") else PROTECTION
login_manager.login_view = LOGIN_VIEW

# Flask-Login 0.2.4's UserMixin.is_active is a method, 0.6.3's a property.
ACTIVE_IS_METHOD = callable(UserMixin.__dict__.get("is_active"))


class Account(UserMixin):
    def __init__(self, id, name, active):
        self.id = id
        self.name = name
        self._active = active

    if ACTIVE_IS_METHOD:
        def is_active(self):
            return self._active
    else:
        @property
        def is_active(self):
            return self._active


USERS = {u.id: u for u in (Account("1", "alice", True), Account("2", "bob", False), Account("3", "carol", True))}


@login_manager.user_loader
def load_user(user_id):
    return USERS.get(user_id)


def text(body, status=200):
    return Response(body, status=status, content_type="text/plain; charset=utf-8")


@app.route("/login")
def login():
    user = USERS.get(request.args.get("id", ""))
    if user is None:
        return text("no such user", 404)
    ok = login_user(user, remember=request.args.get("remember") == "1")
    return text("ok" if ok else "refused")


@app.route("/protected")
@login_required
def protected():
    return text("protected %s" % current_user.get_id())


@app.route("/anon")
def anon():
    return text("anon")
