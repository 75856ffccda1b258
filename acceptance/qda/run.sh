#!/usr/bin/env bash
# QDA import acceptance run: every QDA export the importers take, from the file to
# report.html with the documented commands only (docs/importing-qda.md), and every
# malformed variant refused with exit 2, a message naming the file and a Fix:, and nothing
# written.
#
#   acceptance/qda/run.sh          (PYTHON=/path/to/python to use another environment)
#
# Inputs: the real exports in tests/data (NVivo .qdpx, MIT; ATLAS.ti quotation export and
# code list, MIT), the fixtures written for the tests (ATLAS.ti / MAXQDA / QualCoder
# projects, MAXQDA and ATLAS.ti tables), and projects built at run time from
# ../shared/realdata (QualCoder examples, LGPL; Sheffield interviews, CC BY-NC), which stay
# outside the repository. Everything is written under OUT_BASE (default
# /tmp/partner-study-qda): a scratch project with the notebooks, params/ and data/raw/.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
realdata="$(cd "$root/.." && pwd)/shared/realdata"
base="${OUT_BASE:-/tmp/partner-study-qda}"
py="${PYTHON:-$root/.venv/bin/python}"   # PYTHON=... to use another environment
if [ ! -x "$py" ]; then
    echo "error: $py not found. Fix: run 'make install' in $root first (or set PYTHON)." >&2
    exit 2
fi
export PYTHONPATH="$root/src${PYTHONPATH:+:$PYTHONPATH}"
cli=("$py" -m partner_study)
data="$root/tests/data/import"

rm -rf "$base"
mkdir -p "$base/project/params"
cp -r "$root/notebooks" "$base/project/notebooks"
[ -f "$root/requirements.lock" ] && cp "$root/requirements.lock" "$base/project/"
(cd "$base/project" && git init -q . && git -c user.email=qda@example.org -c user.name=qda \
    commit -q --allow-empty -m scratch)
echo "=== inputs -> $base/inputs"
"$py" "$here/build_inputs.py" --realdata "$realdata" --out "$base/inputs"
in="$base/inputs"

status=0
declare -a summary
run_case() {  # name, expected label in the report, import arguments...
    local name="$1" label="$2"; shift 2
    local start=$SECONDS
    echo "=== $name: import $*"
    if ! (cd "$base/project" && "${cli[@]}" import "$@" --out "data/raw/$name" >"$base/$name.import.log" 2>&1); then
        cat "$base/$name.import.log"; summary+=("FAIL $name: import"); status=1; return
    fi
    tail -n 2 "$base/$name.import.log"
    if ! (cd "$base/project" && "${cli[@]}" validate "data/raw/$name"); then
        summary+=("FAIL $name: validate"); status=1; return
    fi
    if ! (cd "$base/project" && "${cli[@]}" run "params/$name.yaml" --quiet); then
        summary+=("FAIL $name: run"); status=1; return
    fi
    local report="$base/project/reports/$name/report.html"
    if ! grep -q -- "$label" "$report"; then
        summary+=("FAIL $name: '$label' not in $report"); status=1; return
    fi
    summary+=("ok   $name: import -> validate -> run in $((SECONDS - start)) s; report shows '$label'")
}

refuse_case() {  # name, expected text in the message, import arguments...
    local name="$1" expect="$2"; shift 2
    local out="$base/project/data/raw/$name"
    set +e
    (cd "$base/project" && "${cli[@]}" import "$@" --out "data/raw/$name" >"$base/$name.out" 2>"$base/$name.err")
    local code=$?
    set -e
    local err; err="$(cat "$base/$name.err")"
    if [ "$code" -eq 2 ] && grep -q "Fix:" <<<"$err" && grep -q -- "$expect" <<<"$err" \
        && ! grep -q Traceback <<<"$err" && [ ! -e "$out" ] && [ ! -e "$base/project/params/$name.yaml" ] \
        && [ -z "$(ls -A "$base/project/data/raw" 2>/dev/null | grep "^\.$name")" ]; then
        summary+=("ok   $name: exit 2, nothing written: $(head -c 220 <<<"${err#*$'\n'  }" | tr '\n' ' ')...")
    else
        echo "$err"; summary+=("FAIL $name: exit $code (expected 2, '$expect', Fix:, nothing written)"); status=1
    fi
}

# real exports written by others
run_case nvivo "Resisting coercion" qdpx "$data/qdpx/oltas0517.qdpx"
run_case atlas-real "Communication Protocol" atlasti "$data/atlasti/20250914_quotation_export.csv"
run_case atlas-real-codebook "Message Transmission" atlasti \
    "$data/atlasti/20250914_quotation_export.csv" --codebook "$data/atlasti/20250914_codebook_full.csv"
# real texts and facesheets (shared, not in the repository), coded at run time
run_case qc-examples "Workload" qdpx "$in/qualcoder-examples.qdpx" --participants "$in/qualcoder-cases.csv"
run_case sheffield "Sharing data" qdpx "$in/sheffield.qdpx" --participants "$in/sheffield-facesheet.xlsx"
run_case sheffield-table "Sharing data" maxqda "$in/sheffield-segments.xlsx" \
    --participants "$in/sheffield-facesheet.xlsx"
# each program's layout (fixtures written for the tests)
run_case atlasti-project "shared words" qdpx "$in/atlasti.qdpx" \
    --participants "$data/qdpx/tools/facesheet.csv"
run_case maxqda-project "Test results" qdpx "$in/maxqda.qdpx" --site-column document_group
run_case qualcoder-project "tutor support" qdpx "$in/qualcoder.qdpx"
run_case maxqda-table "Shared decisions" maxqda "$data/maxqda/coded-segments.xlsx" \
    --participants "$data/maxqda/facesheet.xlsx"
run_case maxqda-table-de "Gemeinsam entscheiden" maxqda "$data/maxqda/kodierte-segmente.csv"
run_case atlasti-table "being heard" atlasti "$data/atlasti/quotations.xlsx" \
    --codebook "$data/qdpx/tools/codebook-atlasti.qdc"

# a codebook only: the themes: and codes: sections
echo "=== codebook only: import qdc"
if (cd "$base/project" && "${cli[@]}" import qdc "$data/qdpx/tools/codebook-nvivo.qdc" --out codes.yaml) \
    && grep -q "Shared decisions" "$base/project/codes.yaml"; then
    summary+=("ok   qdc: codes.yaml drafted ($(grep -c "theme:" "$base/project/codes.yaml") codes)")
else
    summary+=("FAIL qdc"); status=1
fi

# malformed variants: exit 2, the file, the place, a Fix:, nothing written
refuse_case truncated "truncated.qdpx: found a damaged or truncated zip archive" qdpx "$in/truncated.qdpx"
refuse_case damaged "damaged-member.qdpx: found 'sources/" qdpx "$in/damaged-member.qdpx"
refuse_case no-codings "no-codings.qdpx: found no coded text selections" qdpx "$in/no-codings.qdpx"
refuse_case qdc-as-project "found a REFI-QDA codebook" qdpx "$in/codebook-as-project.qdpx"
refuse_case maxqda-as-atlas "row 1: found the columns of MAXQDA's export" atlasti "$data/maxqda/coded-segments.xlsx"
refuse_case atlas-as-maxqda "row 1: found the columns of ATLAS.ti's export" maxqda \
    "$data/atlasti/20250914_quotation_export.csv"
refuse_case project-as-table "found a REFI-QDA project or archive" maxqda "$in/maxqda.qdpx"
refuse_case taguette-as-atlas "found the columns of Taguette's export" atlasti "$data/taguette/highlights_new.csv"
refuse_case truncated-xlsx "truncated.xlsx: found an unreadable Excel file" maxqda "$in/truncated.xlsx"
refuse_case facesheet-unmatched "row 1: found no column whose values name the documents" maxqda \
    "$data/maxqda/coded-segments.xlsx" --participants "$in/qualcoder-cases.csv"

echo
echo "=== QDA import acceptance summary ($base)"
printf '  %s\n' "${summary[@]}"
exit $status
