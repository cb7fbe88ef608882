#!/bin/sh
# Cross-check: `fitsstore fitsheader` against astropy's fitsheader on the given FITS files (.fits,
# .fz, .bz2 decompressed first), with and without -c (the compressed table view). Prints the
# files whose output differs and the count; exit 1 on any mismatch. Needs python3 with astropy
# (Debian: apt-get install python3-astropy).
#   sh bench/fitsheader-vs-astropy.sh FILE...
set -u
PY=${PYTHON:-python3}
BIN=$(dirname "$0")/../bin/fitsstore
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
runs=0
bad=0
for f in "$@"; do
  g=$f
  case $f in *.bz2) g=$tmp/$(basename "$f" .bz2); bunzip2 -kc "$f" >"$g" ;; esac
  for opt in "" "-c"; do
    "$BIN" fitsheader $opt "$g" >"$tmp/ours" 2>/dev/null
    "$PY" -c "import sys; from astropy.io.fits.scripts import fitsheader; sys.argv=['fitsheader'] + sys.argv[1:]; fitsheader.main()" $opt "$g" >"$tmp/theirs" 2>/dev/null
    runs=$((runs + 1))
    if ! cmp -s "$tmp/ours" "$tmp/theirs"; then
      bad=$((bad + 1))
      echo "differs: fitsheader $opt $f"
    fi
  done
done
echo "$runs runs, $bad mismatches"
[ "$bad" -eq 0 ]
