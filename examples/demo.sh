#!/bin/sh
# make demo: load the sample libraries into a SQLite file and print, for a few
# problems, the best achievements and experts with scores and matched terms.
set -eu
CLI=${1:-build/lmatch}
DB=${2:-build/demo.db}
DATA=$(dirname "$0")/data
rm -f "$DB" "$DB-wal" "$DB-shm"

echo "== libmatch demo: $DB"
# Domain words first, so that indexing already segments them as words.
grep -v '^#' "$DATA/userdict.txt" | while read -r word freq; do
    [ -n "$word" ] && "$CLI" dict "$DB" "$word" ${freq:-0}
done
"$CLI" synonyms "$DB" "$DATA/synonyms.tsv"
for f in problems achievements experts; do
    printf '%-13s ' "$f:"
    "$CLI" load "$DB" "$DATA/$f.jsonl"
done
"$CLI" stats "$DB"

for p in ${DEMO_PROBLEMS:-P-001 P-011 P-021}; do
    echo
    echo "######## problem $p"
    "$CLI" get "$DB" problem "$p" | sed -n 's/.*"title":"\([^"]*\)".*/  \1/p'
    echo "---- top achievements"
    "$CLI" match "$DB" --problem "$p" --to achievement -k 5
    echo "---- top experts"
    "$CLI" match "$DB" --problem "$p" --to expert -k 3
done
echo
echo "---- free text (Traditional script): 鋰離子電池熱失控預警 -> achievements"
"$CLI" query "$DB" "鋰離子電池熱失控預警" --to achievement -k 3
