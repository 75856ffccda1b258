#!/usr/bin/env bash
# Byte identity under every OpenBLAS kernel: `partner-study verify` of the committed
# reference run, once per OPENBLAS_CORETYPE x thread count.
#
#   acceptance/blas-kernels.sh [PARAMS]        (default params/example.yaml)
#
# OpenBLAS picks a kernel for the CPU it runs on; OPENBLAS_CORETYPE forces another, so one
# machine can stand in for many: matrix products then differ in their last bits, as they do
# between machines. Every combination must print "verified". KERNELS="Haswell Zen" and
# THREADS="1" narrow the set. Exit 0 when all are verified, 1 otherwise.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
params="${1:-params/example.yaml}"
kernels="${KERNELS:-Prescott Nehalem Sandybridge Haswell SkylakeX Zen}"
threads="${THREADS:-1 2}"
cli="$root/.venv/bin/partner-study"
[ -x "$cli" ] || { echo "error: $cli not found. Fix: run 'make install' first." >&2; exit 2; }

cd "$root"
failed=0
printf '%-12s %-8s %-14s %s\n' "coretype" "threads" "kernel used" "result"
for kernel in $kernels; do
    for n in $threads; do
        out="$(OPENBLAS_VERBOSE=2 OPENBLAS_CORETYPE="$kernel" OPENBLAS_NUM_THREADS="$n" \
            OMP_NUM_THREADS="$n" "$cli" verify "$params" 2>&1)"
        rc=$?
        used="$(printf '%s\n' "$out" | sed -n 's/^Core: //p' | head -n 1)"
        summary="$(printf '%s\n' "$out" | grep -E '^[a-z0-9_-]+: [0-9]' | tail -n 1)"
        if [ "$rc" -eq 0 ]; then
            printf '%-12s %-8s %-14s verified (%s)\n' "$kernel" "$n" "${used:-?}" "$summary"
        else
            failed=$((failed + 1))
            printf '%-12s %-8s %-14s NOT verified (exit %s: %s)\n' "$kernel" "$n" "${used:-?}" "$rc" "$summary"
            printf '%s\n' "$out" | grep -E '^(different|missing|extra|changed)' | sed 's/^/    /'
        fi
    done
done
if [ "$failed" -gt 0 ]; then
    echo "$failed combination(s) NOT verified"
    exit 1
fi
echo "every combination verified"
