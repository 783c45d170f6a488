#!/usr/bin/env bash
# Torrent creation throughput on the same file with the same piece size, from a warm page
# cache: chronicle's creator (v1, hybrid) beside mktorrent, transmission-create, libtorrent's
# own set_piece_hashes, and single-thread openssl speed as the physical limit.
#
#   bench/torrent_create.sh [SIZE_MIB=2048] [PIECE=2097152]      (run from the repository root)
set -euo pipefail
SIZE_MIB=${1:-2048}
PIECE=${2:-2097152}
BIN=${CHRONICLE_BIN:-build/chronicle}
WORK=$(mktemp -d /tmp/chronicle-bench-XXXX)
trap 'rm -rf "$WORK"' EXIT
FILE=$WORK/recording.mkv
CORES=$(nproc)
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom > "$FILE"
BYTES=$(stat -c %s "$FILE")
cat "$FILE" > /dev/null  # warm the page cache

best() {  # best wall time of 3 runs, in seconds
  local best=""
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    t1=$(date +%s.%N)
    best=$(python3 -c "a='$best'; d=$t1-$t0; print(d if a=='' else min(float(a), d))")
  done
  echo "$best"
}
row() { printf '| %-44s | %8.3f s | %6.2f GB/s |\n' "$1" "$2" "$(python3 -c "print($BYTES/$2/1e9)")"; }

LT_PY='import sys, libtorrent as lt
fs = lt.file_storage(); lt.add_files(fs, sys.argv[1])
ct = lt.create_torrent(fs, int(sys.argv[2]), lt.create_torrent.v1_only if sys.argv[3] == "v1" else 0)
lt.set_piece_hashes(ct, __import__("os").path.dirname(sys.argv[1]))
open(sys.argv[4], "wb").write(lt.bencode(ct.generate()))'

echo "file: $((BYTES / 1048576)) MiB random data, piece size $PIECE, $CORES cores, warm page cache, best of 3"
echo
echo "| tool | time | throughput |"
echo "| --- | --- | --- |"
row "chronicle torrent (v1, $CORES threads)" "$(best "$BIN" torrent "$FILE" --piece-size "$PIECE" -o "$WORK/c1.torrent")"
row "chronicle torrent --hybrid (v1+v2, $CORES threads)" "$(best "$BIN" torrent "$FILE" --hybrid --piece-size "$PIECE" -o "$WORK/c2.torrent")"
LOG2=$(python3 -c "print(($PIECE).bit_length()-1)")
row "mktorrent -t $CORES (v1)" "$(best sh -c "rm -f '$WORK/mk.torrent'; mktorrent -t $CORES -l $LOG2 -a http://127.0.0.1:6969/announce -o '$WORK/mk.torrent' '$FILE'")"
row "transmission-create (v1)" "$(best sh -c "rm -f '$WORK/tc.torrent'; transmission-create -s $((PIECE / 1024)) -o '$WORK/tc.torrent' '$FILE'")"
if /usr/bin/python3 -c 'import libtorrent' 2>/dev/null; then
  row "libtorrent set_piece_hashes (v1)" "$(best /usr/bin/python3 -c "$LT_PY" "$FILE" "$PIECE" v1 "$WORK/lt1.torrent")"
  row "libtorrent set_piece_hashes (hybrid)" "$(best /usr/bin/python3 -c "$LT_PY" "$FILE" "$PIECE" hybrid "$WORK/lt2.torrent")"
fi
for alg in sha1 sha256; do
  rate=$(openssl speed -evp "$alg" -bytes 16384 -seconds 2 2>/dev/null | awk '/^'"$alg"'|^SHA/ {v=$NF} END {sub("k","",v); print v*1000}')
  printf '| %-44s | %10s | %6.2f GB/s |\n' "openssl speed -evp $alg (1 thread, 16 KiB)" "—" "$(python3 -c "print($rate/1e9)")"
done
echo
# Same input, same piece size: chronicle's v1 torrent must carry mktorrent's infohash.
ih() { /usr/bin/python3 -c "import sys,hashlib; sys.path.insert(0,'tests/e2e'); import bencode; print(hashlib.sha1(bencode.encode(bencode.loads(open(sys.argv[1],'rb').read())[b'info'])).hexdigest())" "$1"; }
echo "v1 infohash: chronicle $(ih "$WORK/c1.torrent"), mktorrent $(ih "$WORK/mk.torrent")"
