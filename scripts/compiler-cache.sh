# shellcheck shell=bash disable=SC2034
# Sourced by build.sh and sanitize.sh: compile through ccache when it is installed (install-deps.sh
# installs it), so a second build of the same sources, in this checkout or another clone of it,
# reuses the objects. BASEDIR makes the checkout's path relative in what ccache hashes; NOHASHDIR
# keeps the working directory out of the key (an object from another clone then names that
# clone's paths in its debug information, which only a debugger reads).
cmake_launcher=()
if command -v ccache > /dev/null; then
  CCACHE_BASEDIR="$(pwd)"
  export CCACHE_BASEDIR CCACHE_NOHASHDIR=true
  cmake_launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
