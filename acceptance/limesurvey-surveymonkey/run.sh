#!/usr/bin/env bash
# Acceptance: LimeSurvey and SurveyMonkey exports, from the export to report.html with the
# documented commands only (docs/importing.md), no hand edit.
#
#   acceptance/limesurvey-surveymonkey/run.sh [--no-real]
#
# In a scratch project OUTSIDE the repository (OUT_BASE, default
# /tmp/partner-study-importers/project), for every export:
#   partner-study import KIND FILE ... --out data/raw/NAME   (writes params/NAME.yaml too)
#   partner-study validate data/raw/NAME
#   partner-study run params/NAME.yaml
# then check.py: identifying values appear in no file under data/raw/NAME, data/processed
# and reports (the removed columns in no table), the report shows question texts and answer
# labels, and a battery exported as text and as codes gives identical processed data.
# Malformed variants (truncated, another platform's export, an .lss of another survey, ...)
# must exit 2 with a message naming the file and a Fix, writing nothing.
#
# Exports: the project's fixtures (tests/data/import/limesurvey, .../surveymonkey) and, read
# from REALDATA (default: shared/realdata beside the project), real exports whose licences
# keep them out of the repository:
#   limesurvey-uhde/  raw_data_anonymized.csv + limesurvey_survey_742636.lss, CC BY 4.0,
#     github.com/AlarithUhde/Supplementary-Data-MobileHCI-2025 @ b13adb1a98618e82e47004b037acd3d6f56e9548
#     ("Data Analysis/data/raw_data_anonymized.csv", "Survey Files/limesurvey_survey_742636.lss")
#   limesurvey-griditemtools/  results-survey945827-202004302207{,-codes}.csv, GPL-2|GPL-3,
#     github.com/douglaswhitaker/GridItemTools @ 88c93077fcf95f5db0049c44873d4a61c5f1b633
#     (data/real/; the same 65 responses exported as full answers and as answer codes)
# A missing folder is reported and skipped (--no-real skips them all).
#
# PYTHON (default: the project's .venv/bin/python) runs this checkout's package
# (PYTHONPATH=src), so the script also checks a working tree not yet installed.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="${PYTHON:-$root/.venv/bin/python}"
export PYTHONPATH="$root/src${PYTHONPATH:+:$PYTHONPATH}"
realdata="${REALDATA:-$(cd "$root/.." && pwd)/shared/realdata}"
out_base="${OUT_BASE:-/tmp/partner-study-importers}"
fixtures="$root/tests/data/import"
real=1
for arg in "$@"; do
    case "$arg" in
        --no-real) real=0 ;;
        *) echo "usage: $0 [--no-real]" >&2; exit 2 ;;
    esac
done
case "$out_base/" in
    "$root"/*) echo "error: OUT_BASE $out_base is inside the repository. Fix: choose a folder outside it." >&2; exit 2 ;;
esac

proj="$out_base/project"
variants="$out_base/variants"
rm -rf "$proj" "$variants"
mkdir -p "$proj/params" "$variants"
cp -r "$root/notebooks" "$proj/notebooks"
cp "$root/requirements.lock" "$proj/requirements.lock"

ps() { "$py" -m partner_study.cli "$@"; }
declare -a summary
status=0

# study NAME KIND FILE [import options...] -- [check.py options...]
study() {
    local name="$1" kind="$2" file="$3"
    shift 3
    local opts=() checks=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    checks=("$@")
    local start=$(date +%s) result="ok"
    echo "=== $name: import $kind $(basename "$file")"
    if ! (cd "$proj" && ps import "$kind" "$file" ${opts[@]+"${opts[@]}"} --out "data/raw/$name" >"$out_base/$name.import.log" 2>&1); then
        result="FAILED import"; cat "$out_base/$name.import.log"
    elif ! (cd "$proj" && ps validate "data/raw/$name"); then
        result="FAILED validate"
    elif ! (cd "$proj" && ps run "params/$name.yaml" --quiet); then
        result="FAILED run"
    elif ! "$py" "$here/check.py" "$proj" "$name" ${checks[@]+"${checks[@]}"}; then
        result="FAILED checks"
    fi
    [ "$result" = "ok" ] || status=1
    summary+=("$(printf '%-22s %-12s %4ss  %s' "$name" "$kind" "$(( $(date +%s) - start ))" "$result")")
}

# malformed NAME KIND FILE [import options...]: exit 2, a Fix, no traceback, nothing written
malformed() {
    local name="$1" kind="$2" file="$3"
    shift 3
    local err rc
    err="$(cd "$proj" && ps import "$kind" "$file" "$@" --out "data/raw/bad_$name" 2>&1 >/dev/null)"
    rc=$?
    local result="ok"
    if [ $rc -ne 2 ] || ! grep -q "Fix:" <<<"$err" || grep -q Traceback <<<"$err" \
        || [ -e "$proj/data/raw/bad_$name" ] || [ -e "$proj/params/bad_$name.yaml" ]; then
        result="FAILED (exit $rc)"
        status=1
    fi
    echo "--- malformed $name: exit $rc, $result"
    sed 's/^/    /' <<<"${err:0:700}"
    summary+=("$(printf '%-22s %-12s %4s   %s' "bad:$name" "$kind" "-" "$result (exit $rc)")")
}

ls_dir="$fixtures/limesurvey"
sm_dir="$fixtures/surveymonkey"
agree="Strongly disagree;Disagree;Neither agree nor disagree;Agree;Strongly agree"

# --- the project's fixtures ----------------------------------------------------------------
study ls_codes limesurvey "$ls_dir/results-survey616667-codes.csv" --lss "$ls_dir/answers.lss" -- \
    --absent tk0001xq --absent 198.51.100. --absent mail.example.org --absent 2024-03-0 \
    --present "This is the second question" --present "Too much" --present "Creaminess"
study ls_text limesurvey "$ls_dir/results-survey616667-text.csv" --lss "$ls_dir/answers.lss" -- \
    --absent tk0001xq --absent 198.51.100. --absent mail.example.org --absent 2024-03-0 \
    --present "This is the second question" --present "Too little" \
    --same-as ls_codes --items q02_
study ls_two_lang limesurvey "$ls_dir/results-survey123456-text.csv" \
    --lss "$ls_dir/limesurvey3-two-languages.lss" -- \
    --absent 1980-01-01 --present "listen to me" --present "Completely"
study sm_text surveymonkey "$sm_dir/partnership-text.csv" --labels "$agree" \
    --site-column "Where did you receive care?" --role-column "Which best describes you?" -- \
    --absent 203.0.113. --absent resp3@example.org --absent Martin --absent 114019487 \
    --absent ward-7 --absent 07/14/2021 --absent 431295 \
    --present "I was listened to" --present "Strongly agree"
study sm_numeric surveymonkey "$sm_dir/partnership-numeric.csv" --labels "$agree" -- \
    --absent 203.0.113. --absent resp3@example.org --absent 114019487 \
    --present "I was listened to" --same-as sm_text --items q3_
"$py" - "$sm_dir/partnership-text.csv" "$variants/partnership.xlsx" <<'EOF'
import csv, sys, openpyxl
book = openpyxl.Workbook()
sheet = book.active
with open(sys.argv[1], encoding="utf-8-sig", newline="") as fh:
    for r, row in enumerate(csv.reader(fh), start=1):
        for c, v in enumerate(row, start=1):
            cell = sheet.cell(r, c, v)
            cell.data_type = "s"  # SurveyMonkey's XLSX stores answers as text
book.save(sys.argv[2])
EOF
study sm_xlsx surveymonkey "$variants/partnership.xlsx" --labels "$agree" -- \
    --absent 203.0.113. --absent resp3@example.org --present "I was listened to" \
    --same-as sm_text --items q3_

# --- malformed variants ----------------------------------------------------------------------
head -c 1500 "$ls_dir/results-survey616667-codes.csv" >"$variants/ls-truncated.csv"
head -c 5000 "$ls_dir/answers.lss" >"$variants/truncated.lss"
head -n 2 "$sm_dir/partnership-text.csv" >"$variants/sm-header-only.csv"
head -c 2500 "$sm_dir/partnership-text.csv" >"$variants/sm-truncated.csv"
malformed ls_truncated limesurvey "$variants/ls-truncated.csv" --lss "$ls_dir/answers.lss"
malformed ls_other_survey limesurvey "$ls_dir/results-survey616667-codes.csv" --lss "$ls_dir/another-survey.lss"
malformed ls_truncated_lss limesurvey "$ls_dir/results-survey616667-codes.csv" --lss "$variants/truncated.lss"
malformed ls_given_sm limesurvey "$sm_dir/partnership-text.csv"
malformed sm_header_only surveymonkey "$variants/sm-header-only.csv"
malformed sm_truncated surveymonkey "$variants/sm-truncated.csv"
malformed sm_given_ls surveymonkey "$ls_dir/results-survey616667-text.csv"
qualtrics="$realdata/qualtrics"
if [ -d "$qualtrics" ]; then
    malformed sm_given_qualtrics surveymonkey "$qualtrics/qualtRics_sample.csv"
    malformed ls_qsf_as_lss limesurvey "$ls_dir/results-survey616667-codes.csv" \
        --lss "$qualtrics/Single_Answer_Matrix_Questions.qsf"
fi

# --- real exports kept out of the repository -------------------------------------------------
uhde="$realdata/limesurvey-uhde"
grid="$realdata/limesurvey-griditemtools"
if [ $real -eq 1 ] && [ -d "$uhde" ]; then
    study uhde limesurvey "$uhde/raw_data_anonymized.csv" --lss "$uhde/limesurvey_survey_742636.lss" -- \
        --absent app.prolific.com --absent 66978d746fdddabc9c3b2ff4 --absent 2024-07-22 \
        --present "In public places" --present "embarrassed" \
        --present "very socially uncomfortable (1)" --present "Which gender do you most closely identify with?"
    head -c 30000 "$uhde/raw_data_anonymized.csv" >"$variants/uhde-truncated.csv"
    head -c 20000 "$uhde/limesurvey_survey_742636.lss" >"$variants/uhde-truncated.lss"
    malformed uhde_truncated limesurvey "$variants/uhde-truncated.csv" --lss "$uhde/limesurvey_survey_742636.lss"
    malformed uhde_truncated_lss limesurvey "$uhde/raw_data_anonymized.csv" --lss "$variants/uhde-truncated.lss"
    malformed uhde_other_lss limesurvey "$uhde/raw_data_anonymized.csv" --lss "$ls_dir/answers.lss"
elif [ $real -eq 1 ]; then
    echo "note: $uhde not found: the real LimeSurvey export + .lss (CC BY 4.0) was skipped"
fi
if [ $real -eq 1 ] && [ -d "$grid" ]; then
    study grid_text limesurvey "$grid/results-survey945827-202004302207.csv" -- \
        --absent 1980-01-01 --present "This class is emotionally draining." \
        --present "Completely disagree"
    study grid_codes limesurvey "$grid/results-survey945827-202004302207-codes.csv" -- \
        --absent 1980-01-01
elif [ $real -eq 1 ]; then
    echo "note: $grid not found: the real LimeSurvey exports (GPL) were skipped"
fi

echo
echo "=== LimeSurvey / SurveyMonkey acceptance summary ($proj)"
printf '  %s\n' "${summary[@]}"
exit $status
