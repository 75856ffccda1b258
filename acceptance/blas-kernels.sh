#!/usr/bin/env bash
# Byte identity on other CPUs, emulated on this one: `partner-study verify` of the committed
# reference run, once per OPENBLAS_CORETYPE x thread count, then once per set of numpy
# SIMD features switched off (a CPU without AVX-512, one without AVX2 either).
#
#   acceptance/blas-kernels.sh [PARAMS]        (default params/example.yaml)
#
# OpenBLAS picks a kernel for the CPU it runs on; OPENBLAS_CORETYPE forces another, so one
# machine can stand in for many: matrix products then differ in their last bits, as they do
# between machines (stages run with one generic kernel unless OPENBLAS_CORETYPE is set, so a
# reviewer's CPU does not matter; setting it here tests the published precision alone).
# NPY_DISABLE_CPU_FEATURES makes numpy use the loops of an older CPU (sorts, exp, log).
# Every combination must print "verified". KERNELS="Haswell Zen", THREADS="1" and
# NUMPY_OFF="" narrow the set. Exit 0 when all are verified, 1 otherwise.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
params="${1:-params/example.yaml}"
kernels="${KERNELS:-Prescott Nehalem Sandybridge Haswell SkylakeX Zen}"
threads="${THREADS:-1 2}"
numpy_off="${NUMPY_OFF-AVX512_ICL,X86_V4 AVX512_ICL,X86_V4,X86_V3}"
cli="$root/.venv/bin/partner-study"
[ -x "$cli" ] || { echo "error: $cli not found. Fix: run 'make install' first." >&2; exit 2; }

cd "$root"
failed=0

report() {  # report LABEL THREADS KERNEL RC OUTPUT: one line, and what differs when not verified
    local summary
    summary="$(printf '%s\n' "$5" | grep -E '^[a-z0-9_-]+: [0-9]' | tail -n 1)"
    if [ "$4" -eq 0 ]; then
        printf '%-12s %-8s %-14s verified (%s)\n' "$1" "$2" "${3:-?}" "$summary"
    else
        failed=$((failed + 1))
        printf '%-12s %-8s %-14s NOT verified (exit %s: %s)\n' "$1" "$2" "${3:-?}" "$4" "$summary"
        printf '%s\n' "$5" | grep -E '^(different|missing|extra|changed)' | sed 's/^/    /'
    fi
}

printf '%-12s %-8s %-14s %s\n' "coretype" "threads" "kernel used" "result"
for kernel in $kernels; do
    for n in $threads; do
        out="$(OPENBLAS_VERBOSE=2 OPENBLAS_CORETYPE="$kernel" OPENBLAS_NUM_THREADS="$n" \
            OMP_NUM_THREADS="$n" "$cli" verify "$params" 2>&1)"
        rc=$?
        report "$kernel" "$n" "$(printf '%s\n' "$out" | sed -n 's/^Core: //p' | head -n 1)" "$rc" "$out"
    done
done
for off in $numpy_off; do
    features="${off//,/ }"
    out="$(NPY_DISABLE_CPU_FEATURES="$features" "$cli" verify "$params" 2>&1)"
    rc=$?
    report "numpy" "1" "no $off" "$rc" "$out"
done
if [ "$failed" -gt 0 ]; then
    echo "$failed combination(s) NOT verified"
    exit 1
fi
echo "every combination verified"
