#!/usr/bin/env bash
# Installs the pinned yt-dlp into PREFIX, every file checked against the hashes in this directory:
#   PREFIX/bin/yt-dlp   a Python venv holding yt-dlp and yt-dlp-ejs (requirements.txt)
#   PREFIX/bin/deno     the JavaScript runtime yt-dlp-ejs runs YouTube's player code in (deno.env)
# Then: CHRONICLE_YTDLP=PREFIX/bin/yt-dlp, with PREFIX/bin on PATH (yt-dlp looks for deno there).
# Needs python3-venv, curl and unzip. The images run it; .github/workflows/tools.yml runs it to test
# a bump. DENO_URL fetches Deno's zip from a mirror instead of GitHub (its hash is checked the same);
# pip reads its usual PIP_INDEX_URL for a PyPI mirror.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${1:?usage: install.sh PREFIX}"
# shellcheck source=deploy/tools/deno.env
. "$here/deno.env"
case "$(uname -m)" in
  x86_64) triple=x86_64-unknown-linux-gnu sum="$DENO_SHA256_X86_64" ;;
  aarch64) triple=aarch64-unknown-linux-gnu sum="$DENO_SHA256_AARCH64" ;;
  *) echo "install.sh: no Deno build pinned for $(uname -m)" >&2; exit 1 ;;
esac
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Deno first: a download that does not match fails before anything is installed.
url="${DENO_URL:-https://github.com/denoland/deno/releases/download/v${DENO_VERSION}/deno-${triple}.zip}"
curl -fsSL --retry 3 --connect-timeout 30 -o "$work/deno.zip" "$url"
if ! echo "$sum  $work/deno.zip" | sha256sum --check --status; then
  echo "install.sh: $url does not match the SHA-256 pinned in deno.env; nothing installed" >&2
  exit 1
fi
unzip -q "$work/deno.zip" deno -d "$work"

# Wheels only, nothing beyond what is listed, each matching its hash (pip checks every download
# before it installs any).
python3 -m venv "$prefix"
"$prefix/bin/pip" install --quiet --disable-pip-version-check --no-deps --only-binary :all: \
  --require-hashes -r "$here/requirements.txt"
install -m 0755 "$work/deno" "$prefix/bin/deno"
echo "yt-dlp $("$prefix/bin/yt-dlp" --version), $("$prefix/bin/deno" --version | head -n 1) in $prefix/bin"
