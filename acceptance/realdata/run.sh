#!/usr/bin/env bash
# Real-data acceptance run: two studies nobody on this team wrote, from raw exports to
# report.html, with the documented commands only (docs/studies/serdif.md, nhs-fft.md).
#
#   acceptance/realdata/run.sh [serdif] [nhs_fft] [--strict] [--force]
#
# For each study: convert (acceptance/realdata/<study>.py reads ../shared/realdata/ and
# writes a scratch project OUTSIDE the repository, by default
# /tmp/partner-study-realdata/<study>/; the GPL / CC BY-NC-SA data never enter the
# repository), `partner-study validate`, `partner-study run` in that scratch project, and
# print where report.html is. --strict copies the notebooks without the scratch-copy
# workarounds of acceptance/realdata/_common.py (to show the defects they work around);
# --force reruns every stage. OUT_BASE=/some/dir changes the scratch base folder.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"            # the project root (any clone)
realdata="$(cd "$root/.." && pwd)/shared/realdata"   # shared/ beside the project root
out_base="${OUT_BASE:-/tmp/partner-study-realdata}"
py="$root/.venv/bin/python"
cli="$root/.venv/bin/partner-study"

studies=()
convert_args=()
run_args=()
for arg in "$@"; do
    case "$arg" in
        serdif|nhs_fft) studies+=("$arg") ;;
        --strict) convert_args+=("--strict") ;;
        --force) run_args+=("--force") ;;
        *) echo "usage: $0 [serdif] [nhs_fft] [--strict] [--force]" >&2; exit 2 ;;
    esac
done
[ ${#studies[@]} -eq 0 ] && studies=(serdif nhs_fft)

if [ ! -x "$cli" ]; then
    echo "error: $cli not found. Fix: run 'make install' in $root first." >&2
    exit 2
fi
if [ ! -d "$realdata" ]; then
    echo "error: $realdata not found, expected the shared real data beside the project." >&2
    exit 2
fi

declare -A seconds reports
status=0
for study in "${studies[@]}"; do
    out="$out_base/$study"
    echo "=== $study: convert -> $out"
    start=$(date +%s)
    "$py" "$here/$study.py" --realdata "$realdata" --out "$out" ${convert_args[@]+"${convert_args[@]}"}
    echo "=== $study: validate"
    (cd "$out" && "$cli" validate "data/raw/$study")
    echo "=== $study: run"
    if (cd "$out" && "$cli" run "params/$study.yaml" ${run_args[@]+"${run_args[@]}"}); then
        reports[$study]="$out/reports/$study/report.html"
    else
        status=1
        reports[$study]="FAILED (see the message above)"
    fi
    seconds[$study]=$(( $(date +%s) - start ))
done

echo
echo "=== real-data acceptance summary"
for study in "${studies[@]}"; do
    printf '  %-8s %4ss  %s\n' "$study" "${seconds[$study]}" "${reports[$study]}"
done
exit $status
