#!/usr/bin/env python3
"""Bumps the pinned tools in this directory to their newest releases, with the hashes their
publishers list: yt-dlp's universal wheel from PyPI, the yt-dlp-ejs that yt-dlp release asks for
(its `default` extra pins one exact version), and Deno's newest release zips from GitHub.
Run weekly by .github/workflows/tools.yml, which tests the result before it proposes it.

    bump.py [--dir DIR] [--summary FILE]

Prints what changed; writes a Markdown summary for the pull request with --summary. PYPI_URL and
GITHUB_API_URL point it at mirrors (or at a test's server)."""
import argparse
import json
import os
import re
import sys
import urllib.request

PYPI = os.environ.get("PYPI_URL", "https://pypi.org").rstrip("/")
GITHUB_API = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
DENO_TRIPLES = {"X86_64": "x86_64-unknown-linux-gnu", "AARCH64": "aarch64-unknown-linux-gnu"}


def fetch(url):
    headers = {"User-Agent": "chronicle-tools-bump", "Accept": "application/json"}
    token = os.environ.get("GITHUB_TOKEN")
    if token and url.startswith(GITHUB_API):
        headers["Authorization"] = f"Bearer {token}"
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as r:
        return r.read()


def version_key(v):
    return tuple(int(p) for p in re.findall(r"\d+", v))


def universal_wheel(project, version=None):
    """(version, sha256, requires_dist) of a release's py3-none-any wheel; the newest without a version."""
    doc = json.loads(fetch(f"{PYPI}/pypi/{project}/{version}/json" if version else f"{PYPI}/pypi/{project}/json"))
    version = doc["info"]["version"]
    for f in doc["urls"]:
        if f["packagetype"] == "bdist_wheel" and f["filename"].endswith("-py3-none-any.whl") and not f.get("yanked"):
            return version, f["digests"]["sha256"], doc["info"].get("requires_dist") or []
    raise SystemExit(f"bump: {project} {version} has no universal wheel that is not yanked")


def ejs_pin(requires_dist):
    for req in requires_dist:
        m = re.match(r"yt-dlp-ejs\s*==\s*([\w.]+)\s*;.*extra\s*==\s*['\"]default['\"]", req)
        if m:
            return m.group(1)
    raise SystemExit("bump: this yt-dlp does not pin yt-dlp-ejs in its `default` extra")


def deno_release():
    doc = json.loads(fetch(f"{GITHUB_API}/repos/denoland/deno/releases/latest"))
    version = doc["tag_name"].lstrip("v")
    assets = {a["name"]: a for a in doc["assets"]}
    sums = {}
    for arch, triple in DENO_TRIPLES.items():
        name = f"deno-{triple}.zip"
        if name not in assets:
            raise SystemExit(f"bump: Deno {version} has no {name}")
        digest = assets[name].get("digest") or ""
        if digest.startswith("sha256:"):
            sums[arch] = digest.split(":", 1)[1]
        elif f"{name}.sha256sum" in assets:
            text = fetch(assets[f"{name}.sha256sum"]["browser_download_url"]).decode()
            sums[arch] = re.search(r"\b[0-9a-fA-F]{64}\b", text).group(0).lower()
        else:
            raise SystemExit(f"bump: Deno {version} publishes no SHA-256 for {name}")
    return version, sums


def replace_line(text, pattern, line):
    new, n = re.subn(pattern, line, text, count=1, flags=re.M)
    if n != 1:
        raise SystemExit(f"bump: no line matching {pattern!r}")
    return new


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--summary")
    args = ap.parse_args()
    req_path, deno_path = os.path.join(args.dir, "requirements.txt"), os.path.join(args.dir, "deno.env")
    req, env = open(req_path).read(), open(deno_path).read()
    old_ytdlp = re.search(r"^yt-dlp==(\S+)", req, re.M).group(1)
    old_ejs = re.search(r"^yt-dlp-ejs==(\S+)", req, re.M).group(1)
    old_deno = re.search(r"^DENO_VERSION=(\S+)", env, re.M).group(1)

    ytdlp, ytdlp_sha, requires = universal_wheel("yt-dlp")
    ejs, ejs_sha, _ = universal_wheel("yt-dlp-ejs", ejs_pin(requires))
    deno, deno_sums = deno_release()
    # A mirror or an index that answers with something older never moves a pin back.
    if version_key(ytdlp) < version_key(old_ytdlp) or version_key(deno) < version_key(old_deno):
        raise SystemExit(f"bump: refusing to go back (yt-dlp {old_ytdlp} -> {ytdlp}, Deno {old_deno} -> {deno})")

    req = replace_line(req, r"^yt-dlp==.*$", f"yt-dlp=={ytdlp} --hash=sha256:{ytdlp_sha}")
    req = replace_line(req, r"^yt-dlp-ejs==.*$", f"yt-dlp-ejs=={ejs} --hash=sha256:{ejs_sha}")
    env = replace_line(env, r"^DENO_VERSION=.*$", f"DENO_VERSION={deno}")
    for arch, digest in deno_sums.items():
        env = replace_line(env, rf"^DENO_SHA256_{arch}=.*$", f"DENO_SHA256_{arch}={digest}")
    with open(req_path, "w") as f:
        f.write(req)
    with open(deno_path, "w") as f:
        f.write(env)

    changes = [(name, old, new) for name, old, new in
               (("yt-dlp", old_ytdlp, ytdlp), ("yt-dlp-ejs", old_ejs, ejs), ("Deno", old_deno, deno)) if old != new]
    for name, old, new in changes:
        print(f"{name}: {old} -> {new}")
    if not changes:
        print("the pinned tools are the newest")
    if args.summary:
        notes = {"yt-dlp": f"https://github.com/yt-dlp/yt-dlp/releases/tag/{ytdlp}",
                 "yt-dlp-ejs": f"https://github.com/yt-dlp/ejs/releases/tag/{ejs}",
                 "Deno": f"https://github.com/denoland/deno/releases/tag/v{deno}"}
        with open(args.summary, "w") as f:
            f.write("The pinned tools, bumped to their newest releases (hashes from PyPI and GitHub), "
                    "and the whole suite passed with them.\n\n| tool | from | to |\n| --- | --- | --- |\n")
            f.writelines(f"| [{name}]({notes[name]}) | {old} | {new} |\n" for name, old, new in changes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
