#!/usr/bin/env python3
"""The measuring client of bench/compare.sh: logs in, then sends a fixed
number of identical GETs over one keep-alive connection (http.client; it
reconnects by itself when a server closes, as gunicorn's sync worker does).

  client.py login PORT [--remember]        prints the cookie pair to send
  client.py run PORT PATH COOKIE N STATUS  sends N requests, checks STATUS,
                                           prints how many set a cookie

Every request carries the same User-Agent (session protection hashes it)
and no cookie jar is kept: each request sends exactly COOKIE, so a remember
cookie restores the user on every request.
"""
import http.client
import json
import sys
import time

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def headers(cookie):
    h = {"User-Agent": UA}
    if cookie:
        h["Cookie"] = cookie
    return h


def login(port, remember):
    path = "/login?id=1" + ("&remember=1" if remember else "")
    for attempt in range(50):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.request("GET", path, headers=headers(None))
            break
        except ConnectionRefusedError:
            # A server under valgrind may print `ready` a moment early.
            conn.close()
            time.sleep(0.2)
    res = conn.getresponse()
    body = res.read()
    if res.status != 200:
        sys.exit(f"login: {res.status} {body[:200]!r}")
    want = "remember_token" if remember else "session"
    for value in res.msg.get_all("Set-Cookie") or []:
        pair = value.split(";", 1)[0].strip()
        if pair.startswith(want + "="):
            return pair
    sys.exit(f"login: no {want} cookie in {res.msg.get_all('Set-Cookie')}")


def run(port, path, cookie, n, status):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    h = headers(cookie)
    set_cookie = 0
    body = b""
    for i in range(n):
        conn.request("GET", path, headers=h)
        res = conn.getresponse()
        body = res.read()
        if res.status != status:
            sys.exit(f"request {i}: {res.status} (wanted {status}) {body[:200]!r}")
        if res.msg.get_all("Set-Cookie"):
            set_cookie += 1
    conn.close()
    return {"requests": n, "set_cookie": set_cookie, "last_body": body[:60].decode("latin-1")}


def main(argv):
    if len(argv) >= 2 and argv[0] == "login":
        print(login(int(argv[1]), "--remember" in argv[2:]))
    elif len(argv) == 6 and argv[0] == "run":
        _, port, path, cookie, n, status = argv
        print(json.dumps(run(int(port), path, cookie or None, int(n), int(status))))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
