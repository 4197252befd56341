#!/usr/bin/env bash
# Command-line tests: run the real tailor binary on the fixtures and on bad
# input, and check what a user would check: exit codes, messages, output.
# usage: cli.sh TAILOR_BINARY DATA_DIR
set -u
TAILOR=$1
DATA=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# expect_exit CODE NAME -- command...: runs the command, keeps its output.
expect_exit() {
    local want=$1 name=$2
    shift 3
    "$@" >"$WORK/out" 2>"$WORK/err"
    local got=$?
    if [ "$got" -eq "$want" ]; then ok; else fail "$name: exit $got, want $want; stderr: $(head -c 400 "$WORK/err")"; fi
}
expect_grep() { # NAME FILE PATTERN
    if grep -qE -- "$3" "$2"; then ok; else fail "$1: '$3' not in $2: $(head -c 400 "$2")"; fi
}
expect_no_grep() {
    if grep -qE -- "$3" "$2"; then fail "$1: '$3' found in $2"; else ok; fi
}
expect_lines() { # NAME FILE N: the file has exactly N lines
    local n
    n=$(wc -l <"$2")
    if [ "$n" -eq "$3" ]; then ok; else fail "$1: $n lines in $2, want $3"; fi
}

# --- happy paths -----------------------------------------------------------
expect_exit 0 "customize json" -- "$TAILOR" customize "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt"
cp "$WORK/out" "$WORK/tailored.json"
expect_grep "score line" "$WORK/err" '^match score: [0-9]+ -> [0-9]+ \(\+?-?[0-9]+\)$'
before=$(sed -nE 's/^match score: ([0-9]+) -> ([0-9]+).*/\1/p' "$WORK/err")
after=$(sed -nE 's/^match score: ([0-9]+) -> ([0-9]+).*/\2/p' "$WORK/err")
if [ -n "$before" ] && [ -n "$after" ] && [ "$after" -gt "$before" ]; then ok; else fail "score did not rise: $before -> $after"; fi
expect_grep "missing keywords line" "$WORK/err" '^missing keywords: .*gRPC'
expect_grep "output keeps the name" "$WORK/tailored.json" '"name": *"Alex Chen"'
expect_grep "output keeps every employer" "$WORK/tailored.json" 'Brightside Media'
expect_grep "job's spelling of Go" "$WORK/tailored.json" 'ledger service in Go'
expect_no_grep "no golang left" "$WORK/tailored.json" 'golang'
# The tailored resume is itself a valid resume that tailor can read back.
expect_exit 0 "tailored output parses" -- "$TAILOR" score "$WORK/tailored.json" "$DATA/senior-backend-engineer.txt"

expect_exit 0 "customize markdown" -- "$TAILOR" customize "$DATA/maria-lopez.md" "$DATA/analytics-engineer.txt" --strength EXTENSIVE
expect_grep "markdown headings" "$WORK/out" '^## '
expect_grep "markdown keeps employer" "$WORK/out" 'Harbor Health Clinics'

expect_exit 0 "customize text to html" -- "$TAILOR" customize "$DATA/sam-okafor.txt" "$DATA/icu-registered-nurse.txt" --format html -o "$WORK/sam.html"
expect_grep "html page" "$WORK/sam.html" '<html'
expect_grep "html keeps employer" "$WORK/sam.html" 'Lakeshore General Hospital'

expect_exit 0 "explain" -- "$TAILOR" customize "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" --explain --quiet
expect_grep "explain lists changes with reasons" "$WORK/err" '^\* (term|reorder|rewrite|summary|tense|style|repeated) [a-z.]+'
expect_no_grep "quiet hides the score" "$WORK/err" '^match score'

expect_exit 0 "json result" -- "$TAILOR" customize "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" --json --quiet
expect_grep "json result has changes" "$WORK/out" '"changes"'
expect_grep "json result has scores" "$WORK/out" '"before"'

expect_exit 0 "score" -- "$TAILOR" score "$DATA/maria-lopez.md" "$DATA/analytics-engineer.txt"
expect_grep "score report" "$WORK/out" '^match score: [0-9]+/100'
expect_grep "score names missing Looker" "$WORK/out" 'Looker'
expect_exit 0 "score json" -- "$TAILOR" score "$DATA/sam-okafor.txt" "$DATA/icu-registered-nurse.txt" --json
expect_grep "score json" "$WORK/out" '"score": [0-9]+'

for s in CONSERVATIVE balanced 3; do
    expect_exit 0 "strength $s" -- "$TAILOR" customize "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" --strength "$s" --quiet
done

# --- bad input: exit 2 and one line naming the file --------------------------
bad_input() { # NAME FILE
    expect_exit 2 "$1" -- "$TAILOR" customize "$2" "$DATA/senior-backend-engineer.txt"
    expect_lines "$1: one-line error" "$WORK/err" 1
    expect_grep "$1: error names the file" "$WORK/err" "^tailor: $(basename "$2")|^tailor: .*$(basename "$2")"
}
: >"$WORK/empty.json"
bad_input "empty file" "$WORK/empty.json"
printf '{"basics": {"name": "A"' >"$WORK/truncated.json"
bad_input "invalid JSON" "$WORK/truncated.json"
printf '[1, 2, 3]' >"$WORK/array.json"
bad_input "JSON of the wrong shape" "$WORK/array.json"
printf '{"work": "not a list"}' >"$WORK/wrongtype.json"
bad_input "JSON with a wrong type" "$WORK/wrongtype.json"
head -c 4096 /dev/urandom >"$WORK/garbage.bin"
bad_input "binary garbage" "$WORK/garbage.bin"
printf 'Jane Doe\nEXPERIENCE\n* Built \xff\xfe things\n' >"$WORK/badutf8.txt"
bad_input "invalid UTF-8" "$WORK/badutf8.txt"
head -c 52428800 /dev/zero | tr '\0' 'a' >"$WORK/huge.txt"
bad_input "50 MB file" "$WORK/huge.txt"
printf 'hello\n' >"$WORK/nosections.txt"
bad_input "no recognisable sections" "$WORK/nosections.txt"
bad_input "missing file" "$WORK/does-not-exist.json"
expect_exit 2 "empty job" -- "$TAILOR" customize "$DATA/alex-chen.json" "$WORK/empty.json"
expect_exit 2 "unknown strength" -- "$TAILOR" customize "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" --strength HUGE
expect_exit 2 "unknown format" -- "$TAILOR" customize "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" --format pdfx
expect_exit 2 "missing arguments" -- "$TAILOR" customize "$DATA/alex-chen.json"
expect_exit 2 "unknown command" -- "$TAILOR" frobnicate

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
