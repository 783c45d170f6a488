#!/usr/bin/env bash
# Installs what chronicle needs to build, run and test on Debian 12 (as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  build-essential cmake ninja-build pkg-config git ca-certificates \
  libboost-dev libboost-system-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev \
  libcurl4-openssl-dev libsqlite3-dev libssl-dev libtomlplusplus-dev libgtest-dev libgmock-dev \
  libtorrent-rasterbar-dev libpugixml-dev zlib1g-dev opentracker aria2 transmission-cli mktorrent \
  ffmpeg yt-dlp python3 python3-pytest python3-libtorrent python3-jsonschema python3-websockets procps curl iproute2 util-linux \
  chromium fonts-dejavu-core clang clang-format clang-tidy libclang-rt-14-dev systemd shellcheck python3-yaml python3-venv unzip ccache
# Node.js and npm build the dashboard; install Debian's if the machine has none.
command -v npm > /dev/null || apt-get install -y -qq --no-install-recommends nodejs npm
# The AWS stand-ins the integration and e2e tests start: the aws CLI (Debian's) and moto_server, in
# a virtual environment of its own when the machine has none (Debian does not package moto).
command -v aws > /dev/null || apt-get install -y -qq --no-install-recommends awscli
if ! command -v moto_server > /dev/null; then
  apt-get install -y -qq --no-install-recommends python3-venv
  python3 -m venv /opt/chronicle-moto
  /opt/chronicle-moto/bin/pip install --quiet 'moto[server]>=5,<6'
  ln -sf /opt/chronicle-moto/bin/moto_server /usr/local/bin/moto_server
fi
