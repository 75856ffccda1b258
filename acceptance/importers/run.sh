#!/usr/bin/env bash
# Survey importers end to end: real exports -> `partner-study import` -> `validate` -> `run`,
# in a scratch copy of this project, with no hand edit in between; then the checks of
# check.py (identifying metadata nowhere in the outputs, the platform's question texts and
# answer labels in the report) and the malformed variants (exit 2, nothing written).
#
#   acceptance/importers/run.sh            # OUT_BASE=/some/dir to change the scratch folder
#
# Exports: the Qualtrics fixtures of tests/data/import/qualtrics/ (MIT and BSD, copied with
# their SOURCE.txt) and, when ../shared/realdata is beside the project, the SERDIF Google
# Forms export (GPL: read from there, never copied into the project).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
realdata="$(cd "$root/.." && pwd)/shared/realdata"
out_base="${OUT_BASE:-/tmp/partner-study-importers}"
py="${PYTHON:-$root/.venv/bin/python}"
[ -x "$py" ] || py="$(cd "$root/.." && pwd)/main/.venv/bin/python"
if [ ! -x "$py" ]; then
    echo "error: no Python environment found. Fix: run 'make install' in $root first." >&2
    exit 2
fi

# A scratch copy of the project as it is now (tracked and new files, not ignored ones).
project="$out_base/project"
rm -rf "$project"
mkdir -p "$project"
(cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 tar -cf - 2>/dev/null) \
    | tar -xf - -C "$project"
(cd "$project" && git init -q && git add -A && \
    git -c user.name=acceptance -c user.email=acceptance@localhost commit -qm scratch)
export PYTHONPATH="$project/src"   # the copy's code, whatever is installed
cli=("$py" -m partner_study.cli)
q="$project/tests/data/import/qualtrics"

status=0
declare -a summary
step() {  # step NAME IMPORT-ARGS...: import, validate, run, check
    local name="$1"
    shift
    local start=$SECONDS rc=0
    echo "=== $name: import $*"
    (cd "$project" && "${cli[@]}" import "$@" --out "data/raw/$name") || rc=$?
    if [ $rc -eq 0 ]; then
        echo "=== $name: validate"
        (cd "$project" && "${cli[@]}" validate "data/raw/$name") || rc=$?
    fi
    if [ $rc -eq 0 ]; then
        echo "=== $name: run"
        (cd "$project" && "${cli[@]}" run "params/$name.yaml" --quiet) || rc=$?
    fi
    if [ $rc -eq 0 ]; then
        echo "=== $name: check"
        "$py" "$here/check.py" "$project" "$name" "$2" || rc=$?
    fi
    [ $rc -eq 0 ] || status=1
    summary+=("$(printf '  %-22s exit %s  %4ss' "$name" "$rc" $((SECONDS - start)))")
}

refused() {  # refused NAME IMPORT-ARGS...: must exit 2 and write nothing
    local name="$1"
    shift
    local rc=0
    echo "=== $name (malformed): import $*"
    (cd "$project" && "${cli[@]}" import "$@" --out "data/raw/$name") || rc=$?
    local left
    left="$(cd "$project" && ls -d "data/raw/$name" data/raw/."$name".* "params/$name.yaml" 2>/dev/null || true)"
    if [ $rc -ne 2 ] || [ -n "$left" ]; then
        echo "FAILED: expected exit 2 and nothing written, got exit $rc and '${left}'" >&2
        status=1
    fi
    summary+=("$(printf '  %-22s exit %s  (malformed: expected 2, nothing written: %s)' \
        "$name" "$rc" "$([ -z "$left" ] && echo yes || echo NO)")")
}

step qx_matrix qualtrics "$q/matrix-insights.csv" --qsf "$q/matrix.qsf"
step qx_matrix_text qualtrics "$q/matrix-insights-choice-text.csv" --qsf "$q/matrix.qsf"
step qx_matrix_noqsf qualtrics "$q/matrix-insights.csv"
step qx_sample qualtrics "$q/qualtrics-sample.csv"
serdif="$realdata/serdif-pssuq-taguette/scores__SERDIF_PSSUQ_P2.csv"
if [ -f "$serdif" ]; then
    step serdif_survey survey "$serdif" --header-rows 1 --id 2
else
    summary+=("  serdif_survey          skipped ($serdif not found)")
fi

bad="$out_base/malformed"
rm -rf "$bad" && mkdir -p "$bad"
head -c 3000 "$q/matrix-insights.csv" > "$bad/truncated.csv"
head -n 3 "$q/matrix-insights.csv" > "$bad/headers-only.csv"
"$py" - "$q/matrix.qsf" "$bad/other-survey.qsf" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
for element in doc["SurveyElements"]:
    if element.get("PrimaryAttribute") == "QID5":
        element["Payload"]["DataExportTag"] = "Satisfaction"
json.dump(doc, open(sys.argv[2], "w", encoding="utf-8"))
PY
refused bad_truncated qualtrics "$bad/truncated.csv"
refused bad_headers_only qualtrics "$bad/headers-only.csv"
refused bad_redcap_csv qualtrics "$project/tests/data/import/redcap/simple__data.csv"
refused bad_other_qsf qualtrics "$q/matrix-insights.csv" --qsf "$bad/other-survey.qsf"
refused bad_qsf_is_csv qualtrics "$q/matrix-insights.csv" --qsf "$q/qualtrics-sample.csv"
refused bad_sample_vs_qsf qualtrics "$q/qualtrics-sample.csv" --qsf "$q/matrix.qsf"

echo
echo "=== importer acceptance summary (scratch project: $project)"
printf '%s\n' "${summary[@]}"
exit $status
