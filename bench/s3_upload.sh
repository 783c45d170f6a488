#!/usr/bin/env bash
# Upload throughput to moto_server (the local AWS emulator), on the same file: chronicle's
# S3 ObjectStore beside `aws s3 cp`. Best of 3.   bench/s3_upload.sh [SIZE_MIB=512]
set -euo pipefail
SIZE_MIB=${1:-512}
WORK=$(mktemp -d /tmp/chronicle-s3bench-XXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$PORT" > "$WORK/moto.log" 2>&1 &
MOTO=$!
trap 'kill $MOTO; rm -rf "$WORK"' EXIT
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
until curl -sf "$AWS_ENDPOINT_URL/moto-api/" > /dev/null; do sleep 0.2; done
aws --endpoint-url "$AWS_ENDPOINT_URL" s3 mb s3://bench > /dev/null
head -c "$((SIZE_MIB * 1048576))" /dev/urandom > "$WORK/rec.mkv"
BYTES=$(stat -c %s "$WORK/rec.mkv")
best() { local b=""; for i in 1 2 3; do t=$("$@" "$i"); b=$(python3 -c "a='$b'; print($t if a=='' else min(float(a), $t))"); done; echo "$b"; }
chronicle_run() { ${BIN:-build/bench/bench_s3_upload} "$WORK/rec.mkv" bench "chronicle-$1.mkv"; }
aws_run() { local t0 t1; t0=$(date +%s.%N); aws --endpoint-url "$AWS_ENDPOINT_URL" s3 cp --quiet "$WORK/rec.mkv" "s3://bench/aws-$1.mkv"; t1=$(date +%s.%N); python3 -c "print($t1-$t0)"; }
echo "upload of $((BYTES / 1048576)) MiB to moto_server on 127.0.0.1, best of 3"
echo "| tool | time | throughput |"
echo "| --- | --- | --- |"
for name in chronicle aws; do
  t=$(best ${name}_run)
  label=$([ $name = chronicle ] && echo "chronicle S3 ObjectStore (8 MiB parts, 4 in flight)" || echo "aws s3 cp (CLI v1, defaults)")
  printf '| %s | %.2f s | %.0f MB/s |\n' "$label" "$t" "$(python3 -c "print($BYTES/$t/1e6)")"
done
