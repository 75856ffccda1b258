#!/usr/bin/env bash
# A newcomer's first hour, scripted: fresh clone, `make run`, `new-site`, fill the new site
# (here: with the example's tables, as a student pastes in their own), `validate`, `run`,
# `make lab` started and stopped, `make clean`, `git status`.
#
#   acceptance/first-hour.sh            (from anywhere inside the repository)
#
# Checks, and exits 1 naming what failed:
# - every command exits 0 and prints no traceback;
# - `make run` on the fresh clone leaves git clean;
# - the new study's run writes its report, and a second run is all up to date;
# - `make lab` starts JupyterLab (as root too) and stops on SIGTERM;
# - after `make clean`, git lists nothing changed and, as untracked, only the new study's
#   own files (data/raw/<site>/, params/<site>.yaml); no roster is tracked.
# KEEP=1 keeps the clone (otherwise removed when everything passed).
set -uo pipefail

src="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)" || { echo "not in a git checkout"; exit 2; }
tmp="$(mktemp -d /tmp/first-hour.XXXXXX)"
git clone -q "$src" "$tmp/project" || exit 2
cd "$tmp/project" || exit 2
site=site_b
failed=0
log="$tmp/log"
start_all=$(date +%s)

step() {  # step NAME COMMAND...: run, time, check exit 0 and no traceback
    local name="$1"; shift
    local t0; t0=$(date +%s)
    "$@" >"$log.$name" 2>&1
    local rc=$?
    local took=$(( $(date +%s) - t0 ))
    if [ $rc -ne 0 ] || grep -q "Traceback (most recent call last)" "$log.$name"; then
        echo "FAIL $name: exit $rc in ${took} s (log: $log.$name)"; tail -n 15 "$log.$name" | sed 's/^/    /'
        failed=$((failed + 1))
        return 1
    fi
    echo "ok   $name (${took} s)"
}

check() {  # check DESCRIPTION TEST...
    local what="$1"; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failed=$((failed + 1)); fi
}

echo "first hour on a fresh clone of $(git rev-parse --short HEAD) in $tmp/project"
step make-run make run
check "make run leaves git clean" test -z "$(git status --porcelain)"
grep -E "stage\(s\) ran" "$log.make-run" | sed 's/^/     /'

step new-site .venv/bin/partner-study new-site "$site"
# fill: the tables a student would paste in (the example's, without its roster)
for table in participants survey segments; do
    cp "data/raw/example/$table.csv" "data/raw/$site/$table.csv"
done
step validate .venv/bin/partner-study validate "data/raw/$site"
check "validate checks the params file too" grep -q "params/$site.yaml: valid parameters" "$log.validate"
step run-site .venv/bin/partner-study run "params/$site.yaml"
check "the new study has its report" test -f "reports/$site/report.html"
step rerun-site .venv/bin/partner-study run "params/$site.yaml"
check "a second run is all up to date" grep -q "0 stage(s) ran" "$log.rerun-site"

# make lab: start on a free port without a browser, wait for the server, stop with SIGINT
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid make lab LAB_ARGS="--no-browser --port $port --ServerApp.token=first-hour" >"$log.lab" 2>&1 &
lab=$!
up=0
for _ in $(seq 1 60); do
    if curl -fsS "http://127.0.0.1:$port/api?token=first-hour" >/dev/null 2>&1; then up=1; break; fi
    sleep 1
done
kill -TERM -- -"$lab" 2>/dev/null  # Jupyter shuts down cleanly on SIGTERM
stopped=0
for _ in $(seq 1 20); do
    if ! pgrep -g "$lab" >/dev/null 2>&1; then stopped=1; break; fi
    sleep 1
done
[ "$stopped" = 1 ] || kill -KILL -- -"$lab" 2>/dev/null
wait "$lab" 2>/dev/null
check "make lab starts JupyterLab (answered on port $port)" test "$up" = 1
check "make lab stops on SIGTERM" test "$stopped" = 1
check "make lab says where notebooks write" grep -q "writes to .lab/<study>/" "$log.lab"

step make-clean make clean
changed="$(git status --porcelain --untracked-files=no)"
untracked="$(git status --porcelain | sed -n 's/^?? //p' | sort | tr '\n' ' ')"
check "git: no tracked file changed" test -z "$changed"
check "git: only the new study's files are new ($untracked)" \
    test "$untracked" = "data/raw/$site/ params/$site.yaml "
check "git: no roster tracked" test -z "$(git ls-files 'data/raw/*/roster.*' | grep -v '^data/raw/example/')"
check "a roster in the new study would be ignored" git check-ignore -q "data/raw/$site/roster.csv"

echo "first hour: $(( $(date +%s) - start_all )) s in all"
if [ "$failed" -gt 0 ]; then
    echo "$failed check(s) failed; the clone is kept in $tmp"
    exit 1
fi
[ "${KEEP:-0}" = 1 ] && echo "kept: $tmp" || rm -rf "$tmp"
echo "first hour: no surprise"
