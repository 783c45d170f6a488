#!/usr/bin/env bash
# Upload and download with moto_server (the local AWS emulator) on the same file:
# chronicle's S3 ObjectStore (and the recorder's whole finalize: SHA-256 and torrent pieces
# in the same read pass) beside `aws s3 cp`. Wall time is mostly moto's (one Python
# process); client CPU time is what each tool itself costs. Rounds interleave the tools so
# moto's state (it keeps every object in memory) weighs on all alike. Best of 3.
#   bench/s3_upload.sh [SIZE_MIB=512]
set -euo pipefail
SIZE_MIB=${1:-512}
WORK=$(mktemp -d /tmp/chronicle-s3bench-XXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$PORT" > "$WORK/moto.log" 2>&1 &
MOTO=$!
trap 'kill $MOTO; rm -rf "$WORK"' EXIT
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
until curl -sf "$AWS_ENDPOINT_URL/moto-api/" > /dev/null; do sleep 0.2; done
AWS="aws --endpoint-url $AWS_ENDPOINT_URL"
$AWS s3 mb s3://bench > /dev/null
head -c "$((SIZE_MIB * 1048576))" /dev/urandom > "$WORK/rec.mkv"
BYTES=$(stat -c %s "$WORK/rec.mkv")
BENCH=${BIN:-build/bench/bench_s3_upload}

# Prints "wall_seconds cpu_seconds" of a command (user + system of it and its children).
timed() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t0 = time.monotonic()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.3f} {ru.ru_utime + ru.ru_stime:.3f}")
PY
}

declare -A WALL CPU
keep() {  # keep the best wall time of a tool, with its CPU time
  read -r wall cpu <<< "$2"
  if [ -z "${WALL[$1]:-}" ] || python3 -c "import sys; sys.exit(0 if $wall < ${WALL[$1]} else 1)"; then
    WALL[$1]=$wall; CPU[$1]=$cpu
  fi
}
for i in 1 2 3; do
  keep upload "$(timed "$BENCH" upload "$WORK/rec.mkv" bench "chronicle-$i.mkv")"
  keep finalize "$(timed "$BENCH" finalize "$WORK/rec.mkv" bench "finalize-$i.mkv")"
  keep aws_upload "$(timed $AWS s3 cp --quiet "$WORK/rec.mkv" "s3://bench/aws-$i.mkv")"
  rm -f "$WORK/got.mkv"
  keep fetch "$(timed "$BENCH" fetch bench chronicle-1.mkv "$WORK/got.mkv")"
  cmp "$WORK/rec.mkv" "$WORK/got.mkv"
  rm -f "$WORK/got.mkv"
  keep aws_download "$(timed $AWS s3 cp --quiet s3://bench/chronicle-1.mkv "$WORK/got.mkv")"
  cmp "$WORK/rec.mkv" "$WORK/got.mkv"
done

row() {
  printf '| %s | %.2f s | %.0f MB/s | %.2f s |\n' "$2" "${WALL[$1]}" "$(python3 -c "print($BYTES/${WALL[$1]}/1e6)")" "${CPU[$1]}"
}
echo "$((BYTES / 1048576)) MiB with moto_server on 127.0.0.1, best of 3"
echo "| tool | wall time | throughput | client CPU |"
echo "| --- | --- | --- | --- |"
row upload "upload: chronicle S3 ObjectStore (8 MiB parts, 4 in flight)"
row finalize "upload: chronicle finalize (the upload + SHA-256 + torrent pieces, one read pass)"
row aws_upload "upload: aws s3 cp (CLI v1, defaults: 8 MiB parts, 10 in flight)"
row fetch "download: chronicle fetch (16 MiB ranges, 4 in flight)"
row aws_download "download: aws s3 cp (CLI v1, defaults)"
