"""Flask's own session cookie, made and checked by the real Flask.

Run by tests/flask_import.rs with the python of a parity twin's venv
(../shared/parity/setup), so that the Flask and itsdangerous of that twin
sign and verify: Flask 3.1.3 / itsdangerous 2.2.0 in `venv`, Flask 0.12.5 /
itsdangerous 0.24 in `venv-0.2.4`. Standard library and Flask only; works
on both.

    flask_cookie.py decode SECRET COOKIE
        the session in COOKIE as JSON (signature checked, age not)
    flask_cookie.py sign SECRET NOW SESSION_JSON
        a session cookie for the session SESSION_JSON (a JSON object),
        signed with SECRET as if at Unix time NOW (`-` for now)
    flask_cookie.py verify SECRET MAX_AGE COOKIE
        what Flask's SecureCookieSessionInterface makes of COOKIE now, with
        PERMANENT_SESSION_LIFETIME = MAX_AGE seconds: `accepted <JSON>` or
        `refused <exception>`

Only plain JSON goes in and out: tagged values Flask would store (tuples,
bytes, datetimes...) are neither written nor expected here.
"""
import json
import sys
import time
from datetime import timedelta

from flask import Flask
from flask.sessions import SecureCookieSessionInterface


def serializer(secret, max_age=None):
    app = Flask("flask_import_tests")
    app.secret_key = secret
    if max_age is not None:
        app.permanent_session_lifetime = timedelta(seconds=max_age)
    return app, SecureCookieSessionInterface().get_signing_serializer(app)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "decode" and len(argv) == 4:
        _, s = serializer(argv[2])
        print(json.dumps(s.loads(argv[3]), sort_keys=True))
    elif cmd == "sign" and len(argv) == 5:
        _, s = serializer(argv[2])
        if argv[3] != "-":
            now = float(argv[3])
            # itsdangerous (0.24 and 2.x alike) reads the clock through
            # time.time() when it signs.
            time.time = lambda: now
        value = s.dumps(json.loads(argv[4]))
        if isinstance(value, bytes):
            value = value.decode("ascii")
        print(value)
    elif cmd == "verify" and len(argv) == 5:
        app, s = serializer(argv[2], int(argv[3]))
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = s.loads(argv[4], max_age=max_age)
        except Exception as e:  # BadSignature, SignatureExpired, zlib.error...
            print("refused " + type(e).__name__)
        else:
            print("accepted " + json.dumps(data, sort_keys=True))
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
