#!/usr/bin/env bash
# Regenerates the reader fixtures of this folder: documents written by
# another program (LibreOffice 7.4, Debian package libreoffice-writer-nogui),
# so that the DOCX and PDF readers are tested on files tailor did not write.
#
# Each fixture resume is rendered as an HTML page by tailor (customized for
# a job that matches nothing, so only the consistency pass touches it:
# "sql" -> "SQL", "golang" -> "Go"), then LibreOffice converts the page:
#   soffice --headless --convert-to 'docx:MS Word 2007 XML' NAME.html
#   soffice --headless --convert-to pdf:writer_web_pdf_Export NAME.html
# and the same customization as JSON Resume (NAME.lo.json) is what the
# reader tests expect to read back from both documents;
# and the plain-text fixture is also converted as it is (no styles at all):
#   soffice --headless --convert-to 'docx:MS Word 2007 XML' sam-okafor.txt
# A two-column layout without a table: two-column.jq sets one resume as a
# flat ODF document whose body is a section of two columns (work history
# left, a sidebar of skills, education, languages and certificates right,
# after a column break), and LibreOffice converts it:
#   soffice --headless --convert-to pdf alex-chen-two-column.fodt
# usage: tests/data/documents/make.sh TAILOR_BINARY
set -euo pipefail
TAILOR=$1
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$(dirname "$HERE")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for src in maria-lopez.md sam-okafor.txt alex-chen.json; do
    name=${src%.*}
    "$TAILOR" customize "$DATA/$src" "$HERE/no-match-job.txt" --strength CONSERVATIVE \
        --format html --quiet -o "$WORK/$name.html"
    "$TAILOR" customize "$DATA/$src" "$HERE/no-match-job.txt" --strength CONSERVATIVE \
        --format json --quiet -o "$HERE/$name.lo.json"
    soffice --headless --convert-to 'docx:MS Word 2007 XML' --outdir "$WORK" "$WORK/$name.html" >/dev/null
    soffice --headless --convert-to pdf:writer_web_pdf_Export --outdir "$WORK" "$WORK/$name.html" >/dev/null
    cp "$WORK/$name.docx" "$HERE/$name.lo.docx"
    cp "$WORK/$name.pdf" "$HERE/$name.lo.pdf"
done
cp "$DATA/sam-okafor.txt" "$WORK/sam-okafor-plain.txt"
soffice --headless --convert-to 'docx:MS Word 2007 XML' --outdir "$WORK" "$WORK/sam-okafor-plain.txt" >/dev/null
cp "$WORK/sam-okafor-plain.docx" "$HERE/sam-okafor-plain.lo.docx"
jq -r -f "$HERE/two-column.jq" "$HERE/alex-chen.lo.json" >"$WORK/alex-chen-two-column.fodt"
soffice --headless --convert-to pdf --outdir "$WORK" "$WORK/alex-chen-two-column.fodt" >/dev/null
cp "$WORK/alex-chen-two-column.pdf" "$HERE/alex-chen-two-column.lo.pdf"
