"""BitTorrent distribution with real clients on loopback: chronicle's seeder behind the
supervised opentracker, aria2c and libtorrent downloading, transmission-show reading the
torrent, the web seed alone, resume data across a restart, and hybrid v1+v2 torrents."""
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse

import pytest

import bencode
from harness import Chronicle, LiveStream, free_port, sha256_of, wait_for


def torrent_env(**extra):
    env = {"CHRONICLE_TRACKER_LISTEN": f"127.0.0.1:{free_port()}",
           "CHRONICLE_SEED_LISTEN": f"127.0.0.1:{free_port()}"}
    env.update(extra)
    return env


def record(c, seconds=6, name=None):
    stream = LiveStream(seconds)
    try:
        body = {"url": stream.url}
        if name:
            body["name"] = name
        status, job = c.api("POST", "/api/v1/jobs", body)
        assert status == 201, job
        job = c.wait_status(job["id"], ["completed", "failed"], seconds + 60)
        assert job["status"] == "completed", job
        return job
    finally:
        stream.close()


def fetch_torrent(c, job, directory):
    status, headers, body = c.request("GET", f"/api/v1/jobs/{job['id']}/torrent")
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type")  # S3 sends it lower-case
    assert status == 200 and content_type == "application/x-bittorrent"
    path = os.path.join(directory, job["id"] + ".torrent")
    with open(path, "wb") as f:
        f.write(body)
    return path


def wait_announced(c, job):
    """A peer-only client finds the seeder once a tracker has accepted the seeder's announce."""
    return wait_for(lambda: (lambda s: s if s and s.get("announced") else None)(
        c.job(job["id"])["torrent"].get("seeding")), 30, what="seeder announced to the tracker")


def peers_only(torrent_path):
    """The same torrent (same infohash) without its web seed: data can only come from peers."""
    meta = bencode.loads(open(torrent_path, "rb").read())
    meta.pop(b"url-list", None)
    out = torrent_path.replace(".torrent", ".peers-only.torrent")
    with open(out, "wb") as f:
        f.write(bencode.encode(meta))
    return out


ARIA2 = ["aria2c", "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
         "--enable-peer-exchange=false", "--seed-time=0", "--console-log-level=warn", "--summary-interval=0",
         "--bt-stop-timeout=60", "--allow-overwrite=true"]


LT_CLIENT = r"""
import sys, time, libtorrent as lt
torrent, out, port = sys.argv[1], sys.argv[2], sys.argv[3]
s = lt.session({"listen_interfaces": "127.0.0.1:" + port, "enable_dht": False, "enable_lsd": False,
                "enable_upnp": False, "enable_natpmp": False, "allow_multiple_connections_per_ip": True})
h = s.add_torrent({"ti": lt.torrent_info(torrent), "save_path": out})
deadline = time.time() + 90
while time.time() < deadline and not h.status().is_seeding:
    time.sleep(0.2)
print("seeding" if h.status().is_seeding else "incomplete")
"""


@pytest.fixture(scope="module")
def seeded():
    c = Chronicle(env=torrent_env())
    work = tempfile.mkdtemp(prefix="chronicle-bt-")
    try:
        job = record(c, name="torrent test")
        yield c, job, work
    finally:
        c.close()
        shutil.rmtree(work, ignore_errors=True)


def test_torrent_parses_and_matches_the_job(seeded):
    c, job, work = seeded
    t = job["torrent"]
    stored = os.path.join(c.data, "recordings", job["recording"]["key"])
    assert t["key"] == "torrent test.torrent"
    assert t["url"].endswith(f"/api/v1/jobs/{job['id']}/torrent")
    assert t["web_seeds"] == [f"{c.base}/api/v1/jobs/{job['id']}/recording"]
    tracker_port = c.env["CHRONICLE_TRACKER_LISTEN"].split(":")[1]
    assert t["trackers"] == [f"http://127.0.0.1:{tracker_port}/announce", f"udp://127.0.0.1:{tracker_port}/announce"]
    path = fetch_torrent(c, job, work)
    show = subprocess.run(["transmission-show", path], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Hash:\s+" + t["infohash_v1"], show), show
    assert "torrent test.mkv" in show and t["trackers"][0] in show and t["web_seeds"][0] in show
    assert "Created by: chronicle" in show
    meta = bencode.loads(open(path, "rb").read())
    info = meta[b"info"]
    assert hashlib.sha1(bencode.encode(info)).hexdigest() == t["infohash_v1"]
    assert info[b"length"] == os.path.getsize(stored)
    piece = info[b"piece length"]
    assert piece & (piece - 1) == 0 and piece == t["piece_size"]
    magnet = urllib.parse.parse_qs(urllib.parse.urlparse(t["magnet"]).query)
    assert magnet["xt"] == [f"urn:btih:{t['infohash_v1']}"]
    assert set(magnet["tr"]) == set(t["trackers"]) and magnet["ws"] == t["web_seeds"]
    # The same file is what the CLI's download --torrent saves.
    r = c.cli("download", job["id"], "--torrent", "-o", os.path.join(work, "cli.torrent"))
    assert r.returncode == 0, r.stderr
    assert open(os.path.join(work, "cli.torrent"), "rb").read() == open(path, "rb").read()


def diagnostics(c):
    def read(path):
        try:
            return open(path, errors="replace").read()[-3000:]
        except OSError as e:
            return str(e)
    logs = "".join(read(os.path.join(c.data, f)) for f in sorted(os.listdir(c.data)) if f.startswith("serve-"))
    return (f"\nwhitelist: {read(os.path.join(c.data, 'seed', 'tracker', 'whitelist'))}"
            f"\nopentracker: {read(os.path.join(c.data, 'logs', 'opentracker.log'))}"
            f"\nserve: {''.join(l + chr(10) for l in logs.splitlines() if 'seed' in l or 'tracker' in l)}")


def test_aria2c_downloads_from_the_seeder_through_the_tracker(seeded):
    c, job, work = seeded
    wait_announced(c, job)
    torrent = peers_only(fetch_torrent(c, job, work))
    out = os.path.join(work, "aria2")
    t0 = time.monotonic()
    r = subprocess.run(ARIA2 + ["--dir", out, torrent], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-1500:] + diagnostics(c)
    got = os.path.join(out, "torrent test.mkv")
    assert sha256_of(got) == job["recording"]["sha256"]
    print(f"\naria2c peer download of {job['recording']['size']} bytes: {time.monotonic() - t0:.1f}s")
    seeding = wait_for(lambda: (lambda s: s if s and s["uploaded"] >= job["recording"]["size"] else None)(
        c.job(job["id"])["torrent"].get("seeding")), 15, what="upload counted")
    assert seeding["state"] == "seeding"
    status, _, metrics = c.request("GET", "/metrics")
    assert re.search(rb"chronicle_seed_uploaded_bytes_total [1-9]", metrics)


def test_a_second_client_downloads_from_the_seeder(seeded):
    # transmission-cli 3.00 cannot be the second client here: it treats 127.0.0.0/8 as
    # "martian" and never dials a loopback peer. libtorrent's own client is used instead.
    c, job, work = seeded
    wait_announced(c, job)
    torrent = peers_only(fetch_torrent(c, job, work))
    out = os.path.join(work, "libtorrent")
    os.makedirs(out)
    r = subprocess.run(["/usr/bin/python3", "-c", LT_CLIENT, torrent, out, str(free_port())],
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "seeding", r.stdout + r.stderr
    assert sha256_of(os.path.join(out, "torrent test.mkv")) == job["recording"]["sha256"]


@pytest.mark.skipif(os.geteuid() != 0, reason="starting serve as another user needs root")
def test_the_tracker_accepts_torrents_when_serve_is_not_root():
    """Not started as root, opentracker neither chroots nor drops privileges: the access list
    must still be found, or every announce is refused."""
    data = tempfile.mkdtemp(prefix="chronicle-nobody-")
    shutil.chown(data, "nobody", "nogroup")
    c = Chronicle(data_dir=data, env=torrent_env(), user="nobody")
    try:
        job = record(c, name="not root")
        assert wait_announced(c, job)["announced"]
    finally:
        c.close()
        shutil.rmtree(data, ignore_errors=True)


def test_restart_resumes_seeding_without_rehashing(seeded):
    c, job, work = seeded
    c.stop_server()
    assert os.path.exists(os.path.join(c.data, "seed", job["id"] + ".resume")), "resume data saved at shutdown"
    c.start()
    wait_for(lambda: (c.job(job["id"])["torrent"].get("seeding") or {}).get("state") == "seeding", 20,
             what="seeding after restart")
    status, _, metrics = c.request("GET", "/metrics")
    assert b"chronicle_seed_resumed_total 1" in metrics
    assert b"chronicle_seed_hash_checks_total 0" in metrics
    # And peers can still download from it.
    wait_announced(c, job)
    torrent = peers_only(fetch_torrent(c, job, work))
    out = os.path.join(work, "after-restart")
    r = subprocess.run(ARIA2 + ["--dir", out, torrent], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout
    assert sha256_of(os.path.join(out, "torrent test.mkv")) == job["recording"]["sha256"]


def test_web_seed_alone_is_enough(seeded):
    c, job, work = seeded
    c.stop_server()
    c.env.update({"CHRONICLE_SEED": "0", "CHRONICLE_TRACKER": "0"})
    c.start()
    try:
        assert subprocess.run(["pgrep", "-f", f"opentracker -p {c.env['CHRONICLE_TRACKER_LISTEN'].split(':')[1]}"],
                              capture_output=True).returncode != 0, "no tracker runs"
        torrent = fetch_torrent(c, job, work)
        out = os.path.join(work, "webseed")
        r = subprocess.run(ARIA2 + ["--dir", out, "--bt-tracker-connect-timeout=2", torrent],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout
        assert sha256_of(os.path.join(out, "torrent test.mkv")) == job["recording"]["sha256"]
    finally:
        c.env.pop("CHRONICLE_SEED")
        c.env.pop("CHRONICLE_TRACKER")





def test_hybrid_torrent_downloads_with_a_v2_client():
    c = Chronicle(env=torrent_env(CHRONICLE_TORRENT_HYBRID="1"))
    work = tempfile.mkdtemp(prefix="chronicle-bt-")
    try:
        job = record(c)
        t = job["torrent"]
        assert re.fullmatch(r"[0-9a-f]{40}", t["infohash_v1"]) and re.fullmatch(r"[0-9a-f]{64}", t["infohash_v2"])
        magnet = urllib.parse.parse_qs(urllib.parse.urlparse(t["magnet"]).query)
        assert set(magnet["xt"]) == {f"urn:btih:{t['infohash_v1']}", f"urn:btmh:1220{t['infohash_v2']}"}
        assert set(magnet["tr"]) == set(t["trackers"])
        path = fetch_torrent(c, job, work)
        meta = bencode.loads(open(path, "rb").read())
        assert meta[b"info"][b"meta version"] == 2 and b"piece layers" in meta or meta[b"info"][b"length"] <= t["piece_size"]
        assert hashlib.sha256(bencode.encode(meta[b"info"])).hexdigest() == t["infohash_v2"]
        wait_announced(c, job)
        torrent = peers_only(path)
        r = subprocess.run(["/usr/bin/python3", "-c", LT_CLIENT, torrent, work, str(free_port())],
                           capture_output=True, text=True, timeout=120)
        assert r.stdout.strip() == "seeding", r.stdout + r.stderr
        assert sha256_of(os.path.join(work, job["recording"]["key"])) == job["recording"]["sha256"]
    finally:
        c.close()
        shutil.rmtree(work, ignore_errors=True)
