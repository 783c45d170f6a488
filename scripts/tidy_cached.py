#!/usr/bin/env python3
"""clang-tidy over the given sources, skipping those it already passed as they are now.

    tidy_cached.py BUILD_DIR FILE...

A file passes again without running clang-tidy when its translation unit is unchanged: the key is
the SHA-256 of clang-tidy's version, .clang-tidy, the file's compile flags and its preprocessed
text (every header it includes, the system's too), with the checkout's path taken out so that
another clone of the same commit hits. clang-tidy has no cache of its own and takes about as long
as the compiler on each file; run-clang-tidy runs every file every time. Only passes are kept, in
$XDG_CACHE_HOME/chronicle/clang-tidy (or ~/.cache/...). Findings are printed and the exit status is 1."""
import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "chronicle", "clang-tidy")


def tidy_binary():
    for name in ("clang-tidy", "clang-tidy-14"):
        if subprocess.run(["sh", "-c", f"command -v {name}"], capture_output=True).returncode == 0:
            return name
    sys.exit("lint: clang-tidy is not installed")


def key(tidy_version, config, entry):
    argv = shlex.split(entry["command"])
    # Drop the output file; preprocess instead of compiling, without line markers.
    pre = []
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == "-o":
            skip = True
            continue
        if a == "-c":
            continue
        pre.append(a)
    text = subprocess.run(pre + ["-E", "-P", "-o", "-"], cwd=entry["directory"], capture_output=True, check=True).stdout
    h = hashlib.sha256()
    for part in (tidy_version, config, " ".join(pre).replace(ROOT, "<root>").encode(), text.replace(ROOT.encode(), b"<root>")):
        h.update(hashlib.sha256(part if isinstance(part, bytes) else part.encode()).digest())
    return h.hexdigest()


def check(tidy, build, tidy_version, config, entry):
    k = key(tidy_version, config, entry)
    stamp = os.path.join(CACHE, k[:2], k)
    if os.path.exists(stamp):
        return entry["file"], True, ""
    r = subprocess.run([tidy, "-quiet", "-p", build, entry["file"]], capture_output=True, text=True)
    findings = "\n".join(ln for ln in (r.stdout + r.stderr).splitlines() if "warning:" in ln or "error:" in ln)
    ok = r.returncode == 0 and not findings
    if ok:
        os.makedirs(os.path.dirname(stamp), exist_ok=True)
        open(stamp, "w").close()
    return entry["file"], False, "" if ok else (findings or r.stdout + r.stderr)


def main():
    build, files = sys.argv[1], [os.path.abspath(f) for f in sys.argv[2:]]
    tidy = tidy_binary()
    tidy_version = subprocess.run([tidy, "--version"], capture_output=True, text=True).stdout
    config = open(os.path.join(ROOT, ".clang-tidy")).read()
    entries = {os.path.abspath(os.path.join(e["directory"], e["file"])): e
               for e in json.load(open(os.path.join(build, "compile_commands.json")))}
    missing = [f for f in files if f not in entries]
    if missing:
        sys.exit(f"lint: no compile command for {', '.join(missing)}")
    failed, cached = [], 0
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        for name, hit, problems in pool.map(lambda f: check(tidy, build, tidy_version, config, entries[f]), files):
            cached += hit
            if problems:
                failed.append(name)
                print(problems)
    print(f"lint: {len(files)} files, {cached} unchanged since they last passed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
