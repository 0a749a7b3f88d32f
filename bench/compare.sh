#!/usr/bin/env bash
# What actix-login costs per request, against the floors it cannot beat
# (issue #6). One command:
#
#   bash bench/compare.sh
#
# builds the servers (release), then for every case below:
#   * callgrind: runs the server under `valgrind --tool=callgrind` with
#     instrumentation off, logs in, sends BENCH_WARMUP requests, switches
#     instrumentation on (callgrind_control -i on), sends BENCH_N measured
#     requests over one keep-alive connection (bench/client.py), switches it
#     off, stops the server, and divides the server's Ir (all threads) by N;
#   * wrk: runs the server natively on one core and wrk on the other, for
#     BENCH_WRK_SECONDS, and reports req/s and the server's CPU time per
#     request (utime+stime from /proc/<pid>/stat).
# and writes the Markdown table to bench/results.md (and prints it).
#
# Servers (same routes, same session set-up; see bench/src/lib.rs), the
# binaries of the actix-login-bench package, bench/src/bin/:
#   floor-web      actix-web alone, no session
#   floor-session  actix-session cookie store (signed) + read user id + HashMap lookup: THE FLOOR
#   identity       actix-identity 0.9 on the same session
#   floor-hmac     the floor + hand-rolled remember cookie check (HMAC-SHA512 / HMAC-SHA1)
#   actix-login    actix-login itself
#   flask          Flask 3.1 + Flask-Login 0.6.3 (Flask 0.12 + 0.2.4 for the 0.2.4
#                  remember case) under gunicorn, one sync worker
#
# Settings (environment):
#   BENCH_N=2000 BENCH_WARMUP=200     measured / warm-up requests under callgrind
#   BENCH_FLASK_N=500                 measured Flask requests (by difference, see measure_callgrind)
#   BENCH_WRK_SECONDS=10 BENCH_WRK_CONNECTIONS=4
#   BENCH_SKIP_WRK=1 BENCH_SKIP_FLASK=1 BENCH_SKIP_BUILD=1
#   BENCH_CASES="session-off remember-0.6.3 ..."   a subset of the cases (or the
#                            diagnostic `session-keys`: what each session key costs the floor)
#   BENCH_SERVER_CPU=0 BENCH_CLIENT_CPU=1          taskset cores for the wrk runs
#   BENCH_LOGIN_BIN=path     measure another build of the actix-login server (A/B comparisons)
#   BENCH_CALLGRIND_DIFF=1   count every server by difference, as Flask is (to check the two methods agree)
#   BENCH_WRK_REPEAT=3       wrk runs per row; the best (highest req/s, lowest CPU/request) is reported
#   BENCH_SERVERS="identity actix-login"  measure only these servers (names as in server_cmd)
#   BENCH_APPEND=1           keep earlier rows of <target>/bench/results.tsv (re-measured rows replace them)
#   BENCH_REPORT_ONLY=1      only rewrite bench/results.md from <target>/bench/results.tsv
#   BENCH_KEEP_CALLGRIND=1   keep every callgrind.out (default: only actix-login's and the floor's)
# Callgrind outputs, logs and the Flask venvs: <target>/bench/, where <target>
# is cargo's target directory (CARGO_TARGET_DIR is honoured: cargo says where).
#
# Exits non-zero, after writing the report, when a server died or did not
# start, or a row could not be measured (Flask's included, unless skipped
# with BENCH_SKIP_FLASK=1): a `?` in the table is never a success.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# Where cargo builds, as cargo sees it (CARGO_TARGET_DIR, .cargo/config).
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

N=${BENCH_N:-2000}
WARMUP=${BENCH_WARMUP:-200}
WRK_SECONDS=${BENCH_WRK_SECONDS:-10}
WRK_CONNECTIONS=${BENCH_WRK_CONNECTIONS:-4}
FLASK_N=${BENCH_FLASK_N:-500}
WRK_REPEAT=${BENCH_WRK_REPEAT:-3}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
ALL_CASES="session-off session-basic session-strong remember-0.6.3 remember-0.2.4 anon-page anon-page-logged-in unauthorized unauthorized-redirect"
CASES=${BENCH_CASES:-$ALL_CASES}
OUT=$TARGET_DIR/bench
CG=$OUT/callgrind
LOGS=$OUT/logs
RESULTS=$OUT/results.tsv
UA="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PY=python3
mkdir -p "$CG" "$LOGS"
if [ -n "${BENCH_REPORT_ONLY:-}" ]; then BENCH_SKIP_BUILD=1 BENCH_SKIP_FLASK=1 BENCH_SKIP_WRK=1; fi
[ -n "${BENCH_APPEND:-}${BENCH_REPORT_ONLY:-}" ] || : >"$RESULTS"

step() { printf '\n==> %s\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------
need_apt=()
command -v valgrind >/dev/null || need_apt+=(valgrind)
[ -n "${BENCH_SKIP_WRK:-}" ] || command -v wrk >/dev/null || need_apt+=(wrk)
command -v taskset >/dev/null || need_apt+=(util-linux)
if [ ${#need_apt[@]} -gt 0 ]; then
  step "installing ${need_apt[*]}"
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Rows that could not be measured, or servers that died: the exit status.
FAILED=()

# --- build -------------------------------------------------------------------
# The servers are the binaries of one package: building them builds no
# dev-dependency (criterion) and none of the example app's or the tests'.
BIN=$TARGET_DIR/release
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  step "cargo build --release -p actix-login-bench --bins (the servers)"
  # Where cargo put them: the directory of the binaries it reports.
  BIN=$(cargo build --release -p actix-login-bench --bins --message-format=json-render-diagnostics |
    python3 -c '
import json, os, sys
dirs = {os.path.dirname(m["executable"]) for m in map(json.loads, sys.stdin)
        if m.get("reason") == "compiler-artifact" and m.get("executable")}
if len(dirs) != 1:
    sys.exit(f"expected the servers in one directory, cargo reported {sorted(dirs)}")
print(dirs.pop())
')
fi
for server in floor-web floor-session floor-hmac identity actix-login; do
  [ -x "$BIN/$server" ] || [ -n "${BENCH_REPORT_ONLY:-}" ] || {
    echo "no server binary $BIN/$server (built with BENCH_SKIP_BUILD=1?)" >&2
    exit 1
  }
done

FLASK_OK=
if [ -z "${BENCH_SKIP_FLASK:-}" ]; then
  step "Flask baselines (venvs under target/bench)"
  FLASK_OK=1
  for v in 0.6.3 0.2.4; do
    venv=$OUT/venv-$v
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import flask_login, gunicorn' 2>/dev/null; then
      # The interpreter itself, not a pyenv shim: valgrind must see python.
      base=$($PY -c 'import sys; print(sys.executable)')
      "$base" -m venv "$venv" && "$venv/bin/pip" install -q -r "bench/flask/requirements-$v.txt" || FLASK_OK=
    fi
  done
  if [ -z "$FLASK_OK" ]; then
    note "Flask venvs could not be made: the Flask rows are not measured (BENCH_SKIP_FLASK=1 to leave them out)"
    FAILED+=("Flask baselines: no venv")
  fi
fi

# --- servers -----------------------------------------------------------------
# server_cmd NAME: the command line of a server (its settings come from env).
server_cmd() {
  case $1 in
    floor-web) echo "$BIN/floor-web" ;;
    floor-session) echo "$BIN/floor-session" ;;
    identity) echo "$BIN/identity" ;;
    floor-hmac*) echo "$BIN/floor-hmac" ;;
    actix-login) echo "${BENCH_LOGIN_BIN:-$BIN/actix-login}" ;;
    flask*)
      local v=0.6.3
      [[ $1 == *0.2.4* ]] && v=0.2.4
      echo "$OUT/venv-$v/bin/python -m gunicorn -c $ROOT/bench/flask/gunicorn.conf.py --chdir $ROOT/bench/flask app:app"
      ;;
    *) echo "unknown server $1" >&2; return 1 ;;
  esac
}

PORT_BASE=$((18500 + RANDOM % 500))
port_n=0
next_port() {
  while :; do
    port_n=$((port_n + 1))
    local p=$((PORT_BASE + port_n))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo $p
      return
    fi
  done
}

# wait_ready LOG PID: until the server printed `ready` (or died).
wait_ready() {
  local log=$1 pid=$2 i
  for i in $(seq 1 1200); do
    grep -q '^ready' "$log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "server died:" >&2; tail -20 "$log" >&2; return 1; }
    sleep 0.25
  done
  echo "server not ready after 300 s" >&2
  return 1
}

# The process that serves requests: the server itself, or gunicorn's worker.
serving_pid() {
  local name=$1 pid=$2 child
  if [[ $name == flask* ]]; then
    for _ in $(seq 1 200); do
      child=$(pgrep -P "$pid" | head -1 || true)
      [ -n "$child" ] && { echo "$child"; return; }
      sleep 0.1
    done
    echo "no gunicorn worker" >&2
    return 1
  fi
  echo "$pid"
}

stop_server() {
  local pid=$1 i
  kill -INT "$pid" 2>/dev/null || true
  for i in $(seq 1 240); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# get_cookie KIND PORT: the Cookie header value the measured requests send.
get_cookie() {
  case $1 in
    none) echo "" ;;
    session) $PY bench/client.py login "$2" ;;
    remember) $PY bench/client.py login "$2" --remember ;;
  esac
}

# measure_callgrind LABEL SERVER ENV PATH COOKIE_KIND STATUS -> "ir_total set_cookie_count"
# (Ir of BENCH_N requests). gunicorn's worker is a forked child, which
# callgrind_control cannot reach (vgdb lists only the parent), so Flask is
# counted by difference instead: two runs fully instrumented, one stopping
# after the warm-up, one after BENCH_FLASK_N more requests; the difference,
# scaled to BENCH_N, is what those requests cost.
measure_callgrind() {
  if [[ $2 == flask* || -n ${BENCH_CALLGRIND_DIFF:-} ]]; then
    local a b
    a=$(N=0 callgrind_run "$@" yes) || return 1
    b=$(N=$FLASK_N callgrind_run "$@" yes) || return 1
    read -r a_ir _ <<<"$a"
    read -r b_ir b_set <<<"$b"
    echo "$(((b_ir - a_ir) * N / FLASK_N)) $((b_set * N / FLASK_N))"
    return
  fi
  callgrind_run "$@" no
}

callgrind_run() {
  local label=$1 name=$2 envs=$3 path=$4 kind=$5 status=$6 atstart=$7
  local port log pid mpid cookie out ir json cmd
  port=$(next_port)
  log=$LOGS/cg-$label.log
  cmd=$(server_cmd "$name")
  rm -f "$CG/$label".*
  # shellcheck disable=SC2086
  env PORT=$port PYTHONHASHSEED=0 $envs valgrind --tool=callgrind --instr-atstart="$atstart" \
    --callgrind-out-file="$CG/$label.%p" $cmd >"$log" 2>&1 &
  pid=$!
  wait_ready "$log" "$pid" || { stop_server "$pid"; return 1; }
  mpid=$(serving_pid "$name" "$pid") &&
    cookie=$(get_cookie "$kind" "$port") &&
    $PY bench/client.py run "$port" "$path" "$cookie" "$WARMUP" "$status" >/dev/null || { stop_server "$pid"; return 1; }
  if [ "$atstart" = no ]; then
    callgrind_control -i on "$mpid" >/dev/null 2>&1 || { stop_server "$pid"; return 1; }
  fi
  json=$($PY bench/client.py run "$port" "$path" "$cookie" "$N" "$status") || { stop_server "$pid"; return 1; }
  if [ "$atstart" = no ]; then
    callgrind_control -i off "$mpid" >/dev/null 2>&1 || { stop_server "$pid"; return 1; }
  fi
  stop_server "$pid"
  out=$CG/$label.$mpid
  [ -f "$out" ] || { echo "no callgrind output $out" >&2; return 1; }
  ir=$(awk '/^totals:/ {print $2}' "$out")
  [ -n "$ir" ] || ir=$(awk '/^summary:/ {print $2}' "$out")
  [ -n "$ir" ] || { echo "no instruction total in $out" >&2; return 1; }
  # Only the serving process's file matters (gunicorn's arbiter writes one too).
  for f in "$CG/$label".*; do [ "$f" = "$out" ] || rm -f "$f"; done
  if [ -z "${BENCH_KEEP_CALLGRIND:-}" ] && [[ $name != actix-login && $name != floor-session && $name != floor-hmac* ]]; then
    rm -f "$out"
  else
    mv "$out" "$CG/$label.out"
  fi
  echo "$ir $($PY -c 'import json,sys; print(json.loads(sys.argv[1])["set_cookie"])' "$json")"
}

proc_ticks() { awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }

# measure_wrk LABEL SERVER ENV PATH COOKIE_KIND STATUS -> "req_per_s cpu_us_per_request"
measure_wrk() {
  local label=$1 name=$2 envs=$3 path=$4 kind=$5 status=$6
  local port log pid mpid cookie cmd t0 t1 wout reqs rps hz
  port=$(next_port)
  log=$LOGS/wrk-$label.log
  cmd=$(server_cmd "$name")
  # shellcheck disable=SC2086
  env PORT=$port $envs taskset -c "$SERVER_CPU" $cmd >"$log" 2>&1 &
  pid=$!
  wait_ready "$log" "$pid" || { stop_server "$pid"; return 1; }
  mpid=$(serving_pid "$name" "$pid") &&
    cookie=$(get_cookie "$kind" "$port") &&
    $PY bench/client.py run "$port" "$path" "$cookie" "$WARMUP" "$status" >/dev/null || { stop_server "$pid"; return 1; }
  local hdr=(-H "User-Agent: $UA")
  [ -n "$cookie" ] && hdr+=(-H "Cookie: $cookie")
  hz=$(getconf CLK_TCK)
  local best_rps=0 best_cpu="" i cpu
  : >"$LOGS/wrk-$label.out"
  for i in $(seq 1 "$WRK_REPEAT"); do
    t0=$(proc_ticks "$mpid")
    wout=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" "${hdr[@]}" "http://127.0.0.1:$port$path") ||
      { stop_server "$pid"; return 1; }
    t1=$(proc_ticks "$mpid")
    echo "$wout" >>"$LOGS/wrk-$label.out"
    reqs=$(echo "$wout" | awk '/requests in/ {print $1}')
    rps=$(echo "$wout" | awk '/Requests\/sec/ {print $2}')
    cpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$reqs" 'BEGIN { printf "%.2f", d / hz * 1e6 / n }')
    best_rps=$(awk -v a="$best_rps" -v b="$rps" 'BEGIN { print (b > a) ? b : a }')
    best_cpu=$(awk -v a="$best_cpu" -v b="$cpu" 'BEGIN { print (a == "" || b < a) ? b : a }')
  done
  stop_server "$pid"
  echo "$best_rps $best_cpu"
}

# --- cases -------------------------------------------------------------------
# One row: CASE|SERVER-LABEL|SERVER|ENV|PATH|COOKIE|STATUS
rows() {
  local c=$1
  case $c in
    session-off | session-basic | session-strong)
      local p=${c#session-} keys=login
      [ "$p" = off ] && keys=fresh
      echo "$c|floor-web|floor-web||/protected|none|200"
      echo "$c|floor-session|floor-session||/protected|session|200"
      echo "$c|floor-session (actix-login's session keys)|floor-session|BENCH_FLOOR_KEYS=$keys|/protected|session|200"
      echo "$c|actix-identity|identity||/protected|session|200"
      echo "$c|actix-login|actix-login|BENCH_PROTECTION=$p|/protected|session|200"
      echo "$c|actix-login (LoggedIn<U> extractor)|actix-login|BENCH_PROTECTION=$p|/me|session|200"
      echo "$c|flask|flask|BENCH_PROTECTION=$p|/protected|session|200"
      ;;
    remember-0.6.3 | remember-0.2.4)
      local v=${c#remember-}
      echo "$c|floor-session|floor-session||/protected|session|200"
      echo "$c|floor-hmac|floor-hmac|BENCH_PROFILE=$v|/protected|remember|200"
      echo "$c|floor-hmac (no session write)|floor-hmac|BENCH_PROFILE=$v BENCH_HMAC_WRITE=0|/protected|remember|200"
      echo "$c|actix-login|actix-login|BENCH_PROFILE=$v|/protected|remember|200"
      echo "$c|flask|flask-$v|BENCH_PROFILE=$v|/protected|remember|200"
      ;;
    anon-page)
      echo "$c|floor-web|floor-web||/anon|none|200"
      echo "$c|floor-session|floor-session||/anon|none|200"
      echo "$c|actix-identity|identity||/anon|none|200"
      echo "$c|actix-login|actix-login||/anon|none|200"
      echo "$c|flask|flask||/anon|none|200"
      ;;
    anon-page-logged-in)
      echo "$c|floor-session|floor-session||/anon|session|200"
      echo "$c|floor-session (actix-login's session keys)|floor-session|BENCH_FLOOR_KEYS=login|/anon|session|200"
      echo "$c|actix-identity|identity||/anon|session|200"
      echo "$c|actix-login|actix-login||/anon|session|200"
      echo "$c|flask|flask||/anon|session|200"
      ;;
    unauthorized)
      echo "$c|floor-session|floor-session||/protected|none|401"
      echo "$c|actix-identity|identity||/protected|none|401"
      echo "$c|actix-login|actix-login||/protected|none|401"
      echo "$c|flask|flask||/protected|none|401"
      ;;
    unauthorized-redirect)
      local e="BENCH_LOGIN_VIEW=/login-page"
      echo "$c|floor-session|floor-session|$e|/protected|none|302"
      echo "$c|actix-identity|identity|$e|/protected|none|302"
      echo "$c|actix-login|actix-login|$e|/protected|none|302"
      echo "$c|flask|flask|$e|/protected|none|302"
      ;;
    session-keys)
      # Diagnostic, not in the default cases: the floor carrying parts of
      # actix-login's session contents (bench/src/bin/floor-session.rs).
      for k in fresh id11 id22 id128 id32 flask; do
        echo "$c|floor-session (keys: $k)|floor-session|BENCH_FLOOR_KEYS=$k|/protected|session|200"
      done
      ;;
    *) echo "unknown case $c" >&2; return 1 ;;
  esac
}

declare -A CG_CACHE WRK_CACHE
[ -z "${BENCH_REPORT_ONLY:-}" ] || CASES=""
for c in $CASES; do
  step "case $c"
  while IFS='|' read -r case label name envs path kind status; do
    if [[ $name == flask* && -z $FLASK_OK ]]; then continue; fi
    if [ -n "${BENCH_SERVERS:-}" ] && [[ " $BENCH_SERVERS " != *" ${name%%-0.*} "* ]]; then continue; fi
    key="$name|$envs|$path|$kind|$status"
    slug=$(echo "$case-$label-$envs" | tr -c 'A-Za-z0-9.\n-' '_' | tr -s '_')
    if [ -z "${CG_CACHE[$key]:-}" ]; then
      CG_CACHE[$key]=$(measure_callgrind "$slug" "$name" "$envs" "$path" "$kind" "$status") ||
        { CG_CACHE[$key]="? ?"; FAILED+=("callgrind: $case / $label ${envs:-(defaults)} (log: $LOGS/cg-$slug.log)"); }
    fi
    read -r ir setc <<<"${CG_CACHE[$key]}"
    rps="" cpu=""
    if [ -z "${BENCH_SKIP_WRK:-}" ]; then
      if [ -z "${WRK_CACHE[$key]:-}" ]; then
        WRK_CACHE[$key]=$(measure_wrk "$slug" "$name" "$envs" "$path" "$kind" "$status") ||
          { WRK_CACHE[$key]="? ?"; FAILED+=("wrk: $case / $label ${envs:-(defaults)} (log: $LOGS/wrk-$slug.log)"); }
      fi
      read -r rps cpu <<<"${WRK_CACHE[$key]}"
    fi
    note "$label ${envs:-(defaults)}: Ir total $ir / $N; Set-Cookie on $setc; ${rps:-–} req/s; ${cpu:-–} µs CPU/request"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case" "$label" "$envs" "$ir" "$setc" "$rps" "$cpu" "$name" >>"$RESULTS"
  done < <(rows "$c")
done

# --- report --------------------------------------------------------------------
step "report"
$PY - "$RESULTS" "$N" "$WARMUP" "$WRK_SECONDS" "$WRK_CONNECTIONS" "$WRK_REPEAT" "${BENCH_LOGIN_BIN:-}" >"$ROOT/bench/results.md" <<'PYEOF'
import subprocess, sys, datetime, os
path, n, warm, secs, conns, repeat, login_bin = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
# A row measured again (BENCH_APPEND) replaces the earlier one, in place.
latest = {}
for r in rows:
    latest[tuple(r[:3])] = r
seen, unique = set(), []
for r in rows:
    k = tuple(r[:3])
    if k not in seen:
        seen.add(k)
        unique.append(latest[k])
rows = unique
def num(s):
    try: return float(s)
    except ValueError: return None
data = {}
for case, label, envs, ir, setc, rps, cpu, name in rows:
    irpr = num(ir) / n if num(ir) is not None else None
    data.setdefault(case, []).append(dict(label=label, envs=envs, ir=irpr, setc=setc, rps=num(rps), cpu=num(cpu), name=name))
def find(case, label):
    return next((r for r in data.get(case, []) if r["label"] == label), None)
rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
dirty = subprocess.run(["git", "status", "--porcelain", "login", "login-macros"], capture_output=True, text=True).stdout.strip()
print("# actix-login: cost per request against its floors")
print()
built = f"the `actix-login` rows are `{login_bin}` (BENCH_LOGIN_BIN), not this tree's build" if login_bin else \
    f"commit {rev}{', login/ modified' if dirty else ''}"
print(f"Produced by `bench/compare.sh` on {datetime.date.today()} ({built}; "
      f"{os.cpu_count()} cores, shared). Instructions: user-space Ir of the server process (all threads) under "
      f"`valgrind --tool=callgrind`, {n} measured `GET`s over one keep-alive connection after {warm} warm-up requests, "
      f"divided by {n}; deterministic. CPU time and throughput: `wrk -t1 -c{conns} -d{secs}s`, best of {repeat}, server and client "
      f"`taskset` on different cores, CPU = server utime+stime / requests; noisy (other builds share the machine), "
      f"trust the instruction counts. ×floor: Ir over `floor-session` (actix-session cookie store + read the id + "
      f"HashMap lookup) on the same case; ×HMAC floor: over `floor-hmac` (the floor + a hand-rolled HMAC check of "
      f"the remember cookie that writes the id to the session) with the same digest. Set-Cookie: how many of the "
      f"{n} measured responses set a cookie (a session write).")
print()
print("| case | server | settings | instructions / request | × floor | × HMAC floor | CPU µs / request | req/s | Set-Cookie |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|")
for case, rs in data.items():
    floor = find(case, "floor-session")
    if case.startswith("remember"):
        floor = find("session-basic", "floor-session") or floor
    hfloor = find(case, "floor-hmac")
    for r in rs:
        def ratio(f):
            if not f or r["ir"] is None or f["ir"] is None: return "—"
            return f"{r['ir'] / f['ir']:.3f}"
        ir = f"{r['ir']:,.0f}" if r["ir"] is not None else "?"
        hr = ratio(hfloor) if case.startswith("remember") and not r["label"].startswith("floor-session") else "—"
        fl = ratio(floor)
        cpu = f"{r['cpu']:.1f}" if r["cpu"] is not None else "—"
        rps = f"{r['rps']:,.0f}" if r["rps"] is not None else "—"
        label = r["label"]
        if r["name"].startswith("flask"):
            label = "Flask 0.12 + Flask-Login 0.2.4 (gunicorn sync)" if "0.2.4" in r["name"] else "Flask 3.1 + Flask-Login 0.6.3 (gunicorn sync)"
        print(f"| {case} | {label} | {r['envs'] or 'defaults'} | {ir} | {fl} | {hr} | {cpu} | {rps} | {r['setc']}/{n} |")
print()
print("Goals (issues #11 and #15), from the instruction counts:")
print()
def goal(text, case, label, ref_case, ref_label, limit):
    a, b = find(case, label), find(ref_case, ref_label)
    if not a or not b or a["ir"] is None or b["ir"] is None:
        print(f"- {text}: not measured"); return
    r = a["ir"] / b["ir"]
    print(f"- {text}: {r:.3f} (goal ≤ {limit}) {'✅' if r <= limit else '❌'}")
goal("logged in, protection off, × actix-identity", "session-off", "actix-login", "session-off", "actix-identity", 1.0)
goal("logged in, protection basic, × floor", "session-basic", "actix-login", "session-basic", "floor-session", 1.15)
goal("page that never asks for the user (anonymous), × floor", "anon-page", "actix-login", "anon-page", "floor-session", 1.03)
goal("remember restore 0.6.3 (HMAC-SHA512), × HMAC floor", "remember-0.6.3", "actix-login", "remember-0.6.3", "floor-hmac", 1.25)
goal("remember restore 0.2.4 (HMAC-SHA1), × HMAC floor", "remember-0.2.4", "actix-login", "remember-0.2.4", "floor-hmac", 1.25)
print()
print("Every logged-in case against the floor carrying the same session contents (`floor-session` with "
      "`BENCH_FLOOR_KEYS`: the user id and `_fresh`, and with protection an 11-character `_id`), which separates "
      "what actix-login does from what actix-session pays to carry Flask-Login's keys (#15: ≤ 1.05):")
print()
for text, case in (("logged in, protection off", "session-off"), ("logged in, protection basic", "session-basic"),
                   ("logged in, protection strong", "session-strong"),
                   ("page that never asks for the user (logged-in client)", "anon-page-logged-in")):
    goal(text + ", `#[login_required]` + `CurrentUser`" if case.startswith("session") else text,
         case, "actix-login", case, "floor-session (actix-login's session keys)", 1.05)
    if case.startswith("session"):
        goal(text + ", `LoggedIn<U>`", case, "actix-login (LoggedIn<U> extractor)", case,
             "floor-session (actix-login's session keys)", 1.05)
print()
for case in ("session-off", "session-basic", "session-strong"):
    a = find(case, "actix-login")
    if a:
        ok = a["setc"] == "0"
        print(f"- no session write on a steady logged-in request ({case}): Set-Cookie on {a['setc']}/{n} {'✅' if ok else '❌'}")
for case in ("session-off", "session-basic", "session-strong", "remember-0.6.3", "remember-0.2.4"):
    a, f = find(case, "actix-login"), find(case, "flask")
    if a and f and a["ir"] and f["ir"]:
        r = f["ir"] / a["ir"]
        print(f"- Flask-Login / actix-login instructions ({case}): {r:.1f}× (goal ≥ 25) {'✅' if r >= 25 else '❌'}")
print()
print("Notes: Flask runs under gunicorn's sync worker, which closes the connection after every response, so its "
      "figures include accepting a connection per request (the Rust servers keep it alive); its instructions are "
      "those of the worker process (CPython included), but counted by a different method: callgrind_control cannot "
      "reach gunicorn's forked worker, so the worker runs fully instrumented twice, once stopping after the warm-up "
      "and once after BENCH_FLASK_N more requests, and the difference is divided by BENCH_FLASK_N. `floor-web` does no session work and "
      "answers `/protected` as user 1. The unauthorized redirect of actix-login and Flask flashes the login message "
      "into the session (a session write, as Flask-Login does); the baselines' redirect does not.")
PYEOF
cat "$ROOT/bench/results.md"

if [ ${#FAILED[@]} -gt 0 ]; then
  printf '\nNOT MEASURED (%d):\n' "${#FAILED[@]}" >&2
  printf '  %s\n' "${FAILED[@]}" >&2
  exit 1
fi
