#!/usr/bin/env bash
# Documents with the real tailor binary: customize --format docx|pdf, PDF
# and DOCX resumes as input, every fixture resume round-tripped through
# DOCX and PDF (both templates, A4 and Letter), cover-letter in every format
# and tone, and the refusals a user meets (binary output to a terminal,
# malformed files).
# usage: documents.sh TAILOR_BINARY DATA_DIR
set -u
TAILOR=$1
DATA=$2
# Under LeakSanitizer: fontconfig's configuration lives as long as the
# process (third-party; see tests/lsan.supp).
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")/.." && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

expect_exit() { # CODE NAME -- command...
    local want=$1 name=$2
    shift 3
    "$@" >"$WORK/out" 2>"$WORK/err"
    local got=$?
    if [ "$got" -eq "$want" ]; then ok; else fail "$name: exit $got, want $want; stderr: $(head -c 400 "$WORK/err")"; fi
}
expect_grep() { # NAME FILE PATTERN
    if grep -qE -- "$3" "$2"; then ok; else fail "$1: '$3' not in $2: $(head -c 300 "$2")"; fi
}
expect_no_grep() {
    if grep -qE -- "$3" "$2"; then fail "$1: '$3' found in $2"; else ok; fi
}
# A missing tool skips its checks, except where every tool must be there
# (TL_REQUIRE_SERVICES, as CI sets it: scripts/deps.sh installs them).
skip_tool() { # MESSAGE
    if [ -n "${TL_REQUIRE_SERVICES:-}" ]; then fail "$1 (TL_REQUIRE_SERVICES is set)"; else echo "SKIP: $1"; fi
}
expect_magic() { # NAME FILE MAGIC
    if [ "$(head -c ${#3} "$2" 2>/dev/null)" = "$3" ]; then ok; else fail "$1: $2 does not start with $3"; fi
}

# --- customize to DOCX and PDF -------------------------------------------------
expect_exit 0 "customize to docx" -- "$TAILOR" customize "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" --format docx -o "$WORK/alex.docx" --quiet
expect_magic "docx is a zip" "$WORK/alex.docx" "PK"
expect_exit 0 "customize to pdf" -- "$TAILOR" customize "$DATA/maria-lopez.md" "$DATA/analytics-engineer.txt" --format pdf -o "$WORK/maria.pdf" --quiet
expect_magic "pdf header" "$WORK/maria.pdf" "%PDF-"
expect_exit 0 "customize to pdf on a pipe" -- "$TAILOR" customize "$DATA/sam-okafor.txt" "$DATA/icu-registered-nurse.txt" --format pdf --quiet
expect_magic "pdf on stdout" "$WORK/out" "%PDF-"
cp "$WORK/out" "$WORK/sam.pdf"

# --- PDF and DOCX resumes as input ----------------------------------------------
expect_exit 0 "docx input" -- "$TAILOR" customize "$WORK/alex.docx" "$DATA/senior-backend-engineer.txt" --format json --quiet
expect_grep "docx keeps employers" "$WORK/out" 'Cartwheel Logistics'
expect_grep "docx keeps bullets" "$WORK/out" 'Migrated batch jobs from cron scripts to Airflow'
expect_exit 0 "pdf input" -- "$TAILOR" customize "$WORK/maria.pdf" "$DATA/analytics-engineer.txt" --format md --quiet
expect_grep "pdf keeps roles" "$WORK/out" 'Harbor Health Clinics'
expect_grep "pdf keeps dates" "$WORK/out" 'Jun 2019'
expect_exit 0 "LibreOffice docx input" -- "$TAILOR" customize "$DATA/documents/sam-okafor.lo.docx" "$DATA/icu-registered-nurse.txt" --format txt --quiet
expect_grep "LibreOffice docx employers" "$WORK/out" 'Riverside Community Hospital'
expect_exit 0 "LibreOffice pdf input" -- "$TAILOR" customize "$DATA/documents/alex-chen.lo.pdf" "$DATA/senior-backend-engineer.txt" --format txt --quiet
expect_grep "LibreOffice pdf employers" "$WORK/out" 'Brightside Media'

# --- round trips through tailor's own documents -----------------------------------
# Each fixture resume, customized for a job that matches nothing, written as
# DOCX and as PDF (both templates, A4 and Letter) and read back by the same
# customization: every role, date and bullet of every section is the same
# as the first customization wrote it as JSON (sections in any order: the
# two-column template sets its sidebar first).
facts() { # JSON_RESUME
    jq -S '[to_entries[] | select(.value | type == "array")
            | {key, entries: [.value[] | {position, name, institution, organization, startDate,
                                           endDate, date, highlights, keywords, courses}]}]
           | sort_by(.key)' "$1"
}
NOMATCH="$DATA/documents/no-match-job.txt"
for src in alex-chen.json maria-lopez.md sam-okafor.txt; do
    name=${src%.*}
    "$TAILOR" customize "$DATA/$src" "$NOMATCH" --strength CONSERVATIVE --format json --quiet -o "$WORK/$name.json"
    facts "$WORK/$name.json" >"$WORK/$name.facts"
    for doc in "docx" "pdf --template classic --paper a4" "pdf --template classic --paper letter" \
        "pdf --template two-column --paper a4" "pdf --template two-column --paper letter"; do
        ext=${doc%% *}
        # shellcheck disable=SC2086 # doc is the format and its options
        "$TAILOR" customize "$DATA/$src" "$NOMATCH" --strength CONSERVATIVE --quiet --format $doc -o "$WORK/rt.$ext"
        expect_exit 0 "$name as $doc reads back" -- "$TAILOR" customize "$WORK/rt.$ext" "$NOMATCH" --strength CONSERVATIVE --quiet --format json -o "$WORK/rt.json"
        facts "$WORK/rt.json" >"$WORK/rt.facts" 2>&1
        if cmp -s "$WORK/$name.facts" "$WORK/rt.facts"; then ok; else fail "$name as $doc: roles, dates or bullets differ: $(diff "$WORK/$name.facts" "$WORK/rt.facts" | head -c 600)"; fi
    done
done

# --- cover letters -----------------------------------------------------------
expect_exit 0 "cover letter" -- "$TAILOR" cover-letter "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt"
expect_grep "letter names the role" "$WORK/out" 'Senior Backend Engineer'
expect_grep "letter names the company" "$WORK/out" 'Northwind Financial'
expect_grep "letter cites an achievement" "$WORK/out" 'At Lumen Payments, I '
expect_grep "letter signs" "$WORK/out" '^Alex Chen$'
words=$(wc -w <"$WORK/out")
if [ "$words" -le 450 ]; then ok; else fail "letter is $words words"; fi
expect_exit 0 "warm markdown letter" -- "$TAILOR" cover-letter "$DATA/maria-lopez.md" "$DATA/analytics-engineer.txt" --tone warm --format md
expect_grep "markdown name heading" "$WORK/out" '^# Maria Lopez$'
expect_grep "warm greeting" "$WORK/out" '^Hello Cedar Retail Group team,$'
expect_exit 0 "docx letter" -- "$TAILOR" cover-letter "$DATA/sam-okafor.txt" "$DATA/icu-registered-nurse.txt" --format docx -o "$WORK/letter.docx"
expect_magic "docx letter" "$WORK/letter.docx" "PK"
expect_exit 0 "pdf letter" -- "$TAILOR" cover-letter "$WORK/sam.pdf" "$DATA/icu-registered-nurse.txt" --format pdf --paper letter -o "$WORK/letter.pdf"
expect_magic "pdf letter" "$WORK/letter.pdf" "%PDF-"
if command -v pdfinfo >/dev/null 2>&1; then
    pdfinfo "$WORK/letter.pdf" >"$WORK/info" 2>&1
    expect_grep "letter fits one page" "$WORK/info" '^Pages: +1$'
    expect_grep "US Letter" "$WORK/info" 'Page size: +612 x 792'
    pdffonts "$WORK/maria.pdf" >"$WORK/fonts" 2>&1
    expect_grep "fonts embedded" "$WORK/fonts" 'DejaVuSans.* yes +yes'
else
    skip_tool "pdfinfo (poppler-utils) not installed"
fi
if command -v pdftotext >/dev/null 2>&1; then
    pdftotext "$WORK/letter.pdf" "$WORK/letter.txt"
    expect_grep "pdf letter text is selectable" "$WORK/letter.txt" 'Mercy Heart Institute'
else
    skip_tool "pdftotext (poppler-utils) not installed"
fi
expect_exit 2 "unknown tone" -- "$TAILOR" cover-letter "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" --tone sarcastic
expect_grep "unknown tone message" "$WORK/err" "unknown tone 'sarcastic'"
expect_exit 2 "letter format html refused" -- "$TAILOR" cover-letter "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" --format html

# --- LibreOffice opens what tailor writes ------------------------------------------
if command -v soffice >/dev/null 2>&1; then
    mkdir -p "$WORK/lo"
    (cd "$WORK" && HOME="$WORK" timeout 120 soffice -env:UserInstallation="file://$WORK/profile" \
        --headless --convert-to pdf --outdir "$WORK/lo" alex.docx letter.docx >"$WORK/lo.log" 2>&1)
    if [ -s "$WORK/lo/alex.pdf" ] && [ -s "$WORK/lo/letter.pdf" ]; then ok; else fail "LibreOffice did not convert: $(cat "$WORK/lo.log")"; fi
else
    skip_tool "soffice (libreoffice-writer-nogui) not installed"
fi

# --- refusals -------------------------------------------------------------------
if command -v script >/dev/null 2>&1; then
    script -qec "$TAILOR customize $DATA/alex-chen.json $DATA/senior-backend-engineer.txt --format pdf --quiet" /dev/null >"$WORK/tty" 2>&1
    expect_grep "binary to a terminal refused" "$WORK/tty" 'refusing to write a binary document to the terminal'
    expect_no_grep "no PDF on the terminal" "$WORK/tty" '%PDF-'
else
    skip_tool "script (util-linux) not installed: terminal refusal not tested"
fi
printf '%%PDF-1.7\nnot really a pdf\n' >"$WORK/bad.pdf"
expect_exit 2 "damaged pdf" -- "$TAILOR" customize "$WORK/bad.pdf" "$DATA/senior-backend-engineer.txt"
expect_grep "damaged pdf message" "$WORK/err" 'bad.pdf: PDF: damaged'
head -c 600 "$WORK/alex.docx" >"$WORK/cut.docx"
expect_exit 2 "truncated docx" -- "$TAILOR" customize "$WORK/cut.docx" "$DATA/senior-backend-engineer.txt"
expect_grep "truncated docx message" "$WORK/err" 'cut.docx: DOCX: '
expect_exit 2 "unknown format" -- "$TAILOR" customize "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" --format odt
expect_grep "unknown format message" "$WORK/err" 'docx or pdf'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
