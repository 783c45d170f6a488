"""The pinned tools (deploy/tools), checked offline: every pin carries its hash, the images install
them and nothing from Debian's yt-dlp, install.sh installs what matches and refuses what does not
(fake wheels and a fake Deno zip from a local directory and server), bump.py moves the pins to what
a (local) PyPI and GitHub publish and never back, and tools.yml tests a bump before proposing it."""
import base64
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import zipfile

import pytest

from test_workflows import ROOT, load, triggers

TOOLS = os.path.join(ROOT, "deploy/tools")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_every_pin_has_its_hash_and_the_images_use_them():
    lines = [ln for ln in open(os.path.join(TOOLS, "requirements.txt")).read().splitlines()
             if ln and not ln.startswith("#")]
    assert [ln.split("==")[0] for ln in lines] == ["yt-dlp", "yt-dlp-ejs"]
    for ln in lines:
        assert re.fullmatch(r"[\w-]+==[\w.]+ --hash=sha256:[0-9a-f]{64}", ln), ln
    env = dict(re.findall(r"^(\w+)=(\S+)$", open(os.path.join(TOOLS, "deno.env")).read(), re.M))
    assert re.fullmatch(r"\d+\.\d+\.\d+", env["DENO_VERSION"])
    assert all(re.fullmatch(r"[0-9a-f]{64}", env[k]) for k in ("DENO_SHA256_X86_64", "DENO_SHA256_AARCH64"))
    r = subprocess.run(["shellcheck", "-x", "deploy/tools/install.sh"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout

    dockerfile = open(os.path.join(ROOT, "deploy/docker/Dockerfile")).read()
    assert not re.search(r"apt-get install[^&]*\byt-dlp\b", dockerfile), "Debian's yt-dlp is years behind the sites"
    assert "RUN /tools/install.sh /opt/chronicle-tools" in dockerfile
    for role in ("recorder", "lambda"):
        stage = re.search(rf"^FROM \S+ AS {role}$(.*?)(?=^FROM |\Z)", dockerfile, re.M | re.S).group(1)
        assert "COPY --from=tools /opt/chronicle-tools /opt/chronicle-tools" in stage, role
        assert "CHRONICLE_YTDLP=/opt/chronicle-tools/bin/yt-dlp" in stage and "PATH=/opt/chronicle-tools/bin:" in stage


def wheel(directory, name, version, files):
    """A minimal wheel as pip installs it (entry points and RECORD included)."""
    dist = f"{name}-{version}.dist-info"
    files = dict(files)
    files[f"{dist}/METADATA"] = f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n"
    files[f"{dist}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{dist}/RECORD"] = "\n".join(record + [f"{dist}/RECORD,,"]) + "\n"
    path = os.path.join(directory, f"{name}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(path, "w") as z:
        for p, text in files.items():
            z.writestr(p, text)
    return path


@pytest.fixture
def fake_artifacts(tmp_path):
    """A copy of deploy/tools pinned to fake wheels and a fake Deno zip, and where they are."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    ytdlp = wheel(wheels, "yt_dlp", "2099.1.2", {
        "yt_dlp/__init__.py": "def main():\n    print('2099.01.02')\n",
        "yt_dlp-2099.1.2.dist-info/entry_points.txt": "[console_scripts]\nyt-dlp = yt_dlp:main\n"})
    ejs = wheel(wheels, "yt_dlp_ejs", "9.9.9", {"yt_dlp_ejs/__init__.py": ""})
    deno_zip = tmp_path / "deno.zip"
    with zipfile.ZipFile(deno_zip, "w") as z:
        info = zipfile.ZipInfo("deno")
        info.external_attr = 0o755 << 16
        z.writestr(info, "#!/bin/sh\necho 'deno 9.9.9 (fake)'\n")
    tools = tmp_path / "tools"
    shutil.copytree(TOOLS, tools)
    (tools / "requirements.txt").write_text(f"yt-dlp==2099.1.2 --hash=sha256:{sha256(ytdlp)}\n"
                                            f"yt-dlp-ejs==9.9.9 --hash=sha256:{sha256(ejs)}\n")
    digest = sha256(deno_zip)
    (tools / "deno.env").write_text(f"DENO_VERSION=9.9.9\nDENO_SHA256_X86_64={digest}\nDENO_SHA256_AARCH64={digest}\n")
    return tools, wheels, deno_zip


def install(tools, prefix, wheels, deno_zip):
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels), DENO_URL=f"file://{deno_zip}")
    return subprocess.run([str(tools / "install.sh"), str(prefix)], env=env, capture_output=True, text=True,
                          timeout=300)


def test_install_puts_the_pinned_yt_dlp_and_deno_in_the_prefix(fake_artifacts, tmp_path):
    tools, wheels, deno_zip = fake_artifacts
    r = install(tools, tmp_path / "prefix", wheels, deno_zip)
    assert r.returncode == 0, r.stderr
    assert "yt-dlp 2099.01.02, deno 9.9.9 (fake)" in r.stdout
    out = subprocess.run([str(tmp_path / "prefix/bin/yt-dlp")], capture_output=True, text=True).stdout
    assert out.strip() == "2099.01.02"


def test_install_refuses_a_deno_or_a_wheel_that_does_not_match(fake_artifacts, tmp_path):
    tools, wheels, deno_zip = fake_artifacts
    good = deno_zip.read_bytes()
    deno_zip.write_bytes(good + b"tampered")
    r = install(tools, tmp_path / "a", wheels, deno_zip)
    assert r.returncode != 0 and "does not match the SHA-256 pinned in deno.env" in r.stderr
    assert not (tmp_path / "a").exists(), "nothing installed"

    deno_zip.write_bytes(good)
    ytdlp = next(wheels.glob("yt_dlp-*"))
    with zipfile.ZipFile(ytdlp, "a") as z:
        z.writestr("yt_dlp/extra.py", "print('not what was reviewed')\n")
    r = install(tools, tmp_path / "b", wheels, deno_zip)
    assert r.returncode != 0 and "DO NOT MATCH THE HASHES" in r.stderr, r.stderr
    assert not (tmp_path / "b/bin/yt-dlp").exists() and not (tmp_path / "b/bin/deno").exists()

    # The real pins refuse these fakes too: only the reviewed files install.
    real = tmp_path / "real"
    shutil.copytree(TOOLS, real)
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels), DENO_URL=f"file://{deno_zip}")
    r = subprocess.run([str(real / "install.sh"), str(tmp_path / "c")], env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "does not match the SHA-256 pinned" in r.stderr


class FakeRegistry(http.server.BaseHTTPRequestHandler):
    routes = {}

    def do_GET(self):
        body = self.routes.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args):
        pass


@pytest.fixture
def registry():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeRegistry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", FakeRegistry.routes
    server.shutdown()
    server.server_close()
    FakeRegistry.routes = {}


def publish(routes, base, ytdlp="2099.1.2", ejs="0.9.1", deno="9.9.9", yanked=False, digests=True):
    wheel_file = lambda name, version, sha, y=False: {  # noqa: E731
        "packagetype": "bdist_wheel", "filename": f"{name}-{version}-py3-none-any.whl", "yanked": y,
        "digests": {"sha256": sha}}
    routes.update({
        "/pypi/yt-dlp/json": json.dumps({
            "info": {"version": ytdlp, "requires_dist": [f'yt-dlp-ejs=={ejs}; extra == "default"',
                                                         'requests<3,>=2.32.2; extra == "default"']},
            "urls": [{"packagetype": "sdist", "filename": f"yt_dlp-{ytdlp}.tar.gz", "digests": {"sha256": "0" * 64}},
                     wheel_file("yt_dlp", ytdlp, "a" * 64, yanked)]}).encode(),
        f"/pypi/yt-dlp-ejs/{ejs}/json": json.dumps({
            "info": {"version": ejs}, "urls": [wheel_file("yt_dlp_ejs", ejs, "b" * 64)]}).encode(),
    })
    assets = []
    for arch, sha in (("x86_64", "c" * 64), ("aarch64", "d" * 64)):
        name = f"deno-{arch}-unknown-linux-gnu.zip"
        asset = {"name": name, "browser_download_url": f"{base}/dl/{name}"}
        if digests:
            asset["digest"] = f"sha256:{sha}"
        else:
            assets.append({"name": f"{name}.sha256sum", "browser_download_url": f"{base}/dl/{name}.sha256sum"})
            routes[f"/dl/{name}.sha256sum"] = f"{sha.upper()}  {name}\n".encode()
        assets.append(asset)
    routes["/repos/denoland/deno/releases/latest"] = json.dumps({"tag_name": f"v{deno}", "assets": assets}).encode()


def bump(tools, base, *extra):
    env = dict(os.environ, PYPI_URL=base, GITHUB_API_URL=base)
    return subprocess.run(["python3", os.path.join(TOOLS, "bump.py"), "--dir", str(tools), *extra], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("digests", [True, False], ids=["asset-digests", "sha256sum-files"])
def test_bump_moves_every_pin_to_the_newest_release_with_its_published_hash(registry, tmp_path, digests):
    base, routes = registry
    publish(routes, base, digests=digests)
    tools = tmp_path / "tools"
    shutil.copytree(TOOLS, tools)
    r = bump(tools, base, "--summary", str(tmp_path / "pr.md"))
    assert r.returncode == 0, r.stderr
    req = (tools / "requirements.txt").read_text()
    assert f"\nyt-dlp==2099.1.2 --hash=sha256:{'a' * 64}\n" in req
    assert f"\nyt-dlp-ejs==0.9.1 --hash=sha256:{'b' * 64}\n" in req
    assert req.startswith("# The yt-dlp chronicle's images record with"), "the comments stay"
    env = (tools / "deno.env").read_text()
    assert f"DENO_VERSION=9.9.9\nDENO_SHA256_X86_64={'c' * 64}\nDENO_SHA256_AARCH64={'d' * 64}\n" in env
    assert "yt-dlp: 2026." in r.stdout and "-> 2099.1.2" in r.stdout
    summary = (tmp_path / "pr.md").read_text()
    assert "| [yt-dlp](https://github.com/yt-dlp/yt-dlp/releases/tag/2099.1.2) |" in summary

    r = bump(tools, base)
    assert r.returncode == 0 and "the pinned tools are the newest" in r.stdout


def test_bump_never_goes_back_and_skips_nothing_it_cannot_verify(registry, tmp_path):
    base, routes = registry
    tools = tmp_path / "tools"
    shutil.copytree(TOOLS, tools)
    before = {p: (tools / p).read_text() for p in ("requirements.txt", "deno.env")}
    publish(routes, base, ytdlp="2023.3.4")
    r = bump(tools, base)
    assert r.returncode != 0 and "refusing to go back" in r.stderr
    publish(routes, base, yanked=True)
    r = bump(tools, base)
    assert r.returncode != 0 and "no universal wheel that is not yanked" in r.stderr
    assert {p: (tools / p).read_text() for p in before} == before, "a refused bump changes nothing"


def test_tools_yml_tests_a_bump_before_it_proposes_it():
    wf = load("tools.yml")
    on = triggers(wf)
    assert set(on) == {"schedule", "workflow_dispatch"} and len(on["schedule"]) == 1
    assert re.fullmatch(r"\d+ \d+ \* \* [0-6]", on["schedule"][0]["cron"]), "weekly"
    job = wf["jobs"]["bump"]
    assert job["container"] == "debian:12" and job["permissions"] == {"contents": "write", "pull-requests": "write"}
    runs = [s.get("run", "") for s in job["steps"]]
    order = [i for i, r in enumerate(runs) if "bump.py" in r] + \
            [i for i, r in enumerate(runs) if "deploy/tools/install.sh" in r] + \
            [i for i, r in enumerate(runs) if "./scripts/test.sh" in r] + \
            [i for i, s in enumerate(job["steps"]) if s.get("uses", "").startswith("peter-evans/create-pull-request@")]
    assert len(order) == 4 and order == sorted(order), "bump, install, the whole suite, then the pull request"
    suite = next(r for r in runs if "./scripts/test.sh" in r)
    assert "/opt/chronicle-tools/bin" in suite and "CHRONICLE_YTDLP=/opt/chronicle-tools/bin/yt-dlp" in suite
    pr = job["steps"][order[-1]]["with"]
    assert pr["add-paths"] == "deploy/tools/*"
    assert all(s.get("if") == "steps.bump.outputs.changed == 'true'" for s in job["steps"][order[1]:])
