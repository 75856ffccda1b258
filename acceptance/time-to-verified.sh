#!/usr/bin/env bash
# Acceptance: time to verified. From a bare clone of the committed HEAD, with empty package
# caches (as on a fresh machine), `make verify` creates .venv, installs requirements.lock and
# the package, reruns the example study into a scratch folder and compares every output byte
# for byte with the committed reference run. It must print "verified" within the limit.
#
# Usage (from anywhere in the repository): acceptance/time-to-verified.sh
#   TIME_TO_VERIFIED_LIMIT  seconds allowed, set-up included (default 120)
#   INSTALLER=pip           measure the pip install instead of uv (passed on to make)
#   KEEP=1                  keep the clone and its .venv (kept anyway when the check fails)
# Prints the seconds of each phase (install: until .venv/.installed is written; verify: the
# rest) and the total; exits 1 if the output lacks "verified" or the total is over the limit.
set -u
limit=${TIME_TO_VERIFIED_LIMIT:-120}
src=$(git -C "$(dirname "$0")" rev-parse --show-toplevel) || { echo "not in a git checkout"; exit 2; }
commit=$(git -C "$src" rev-parse HEAD) || exit 2
tmp=$(mktemp -d /tmp/time-to-verified.XXXXXX)
git clone -q --no-checkout "$src" "$tmp/project" || exit 2
cd "$tmp/project" || exit 2
git checkout -q --detach "$commit" || exit 2
echo "bare clone of $(git rev-parse --short HEAD) in $tmp/project (committed work only, no .venv)"

# Empty caches: nothing downloaded earlier on this machine is reused.
mkdir -p "$tmp/cache/pip" "$tmp/cache/uv"
export PIP_CACHE_DIR="$tmp/cache/pip" UV_CACHE_DIR="$tmp/cache/uv"
unset VIRTUAL_ENV

log="$tmp/make-verify.log"
start=$EPOCHREALTIME
make verify >"$log" 2>&1
rc=$?
end=$EPOCHREALTIME
if [ -f .venv/.installed ]; then
  installed=$(date -r .venv/.installed +%s.%N)
else
  installed=$end
fi
read -r t_install t_verify t_total < <(awk -v s="$start" -v i="$installed" -v e="$end" \
  'BEGIN { printf "%.1f %.1f %.1f\n", i - s, e - i, e - s }')
grep -E '^installing requirements.lock|could not' "$log"
echo "install  ${t_install} s"
echo "verify   ${t_verify} s"
echo "total    ${t_total} s (limit ${limit} s; make verify exit ${rc}; log: ${log})"

status=0
if [ $rc -ne 0 ] || ! grep -q '^verified' "$log"; then
  echo "FAIL: make verify did not print \"verified\""
  tail -n 30 "$log"
  status=1
fi
if awk -v t="$t_total" -v l="$limit" 'BEGIN { exit !(t > l) }'; then
  echo "FAIL: ${t_total} s is over the ${limit} s limit"
  status=1
fi
changed=$(git status --porcelain --untracked-files=no | wc -l)
echo "after make verify: $changed tracked files changed"

cd / && rm -rf "$tmp/cache"
if [ $status -eq 0 ] && [ "${KEEP:-0}" != 1 ]; then
  rm -rf "$tmp/project"
  echo "time to verified: ${t_total} s: OK (log kept: ${log})"
fi
exit $status
