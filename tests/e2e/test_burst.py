"""A burst of streams that are already live, submitted at once: every recording must start inside
its playlist's window, so nothing broadcast after the submit is missed, and all complete."""
import concurrent.futures
import os
import time

from harness import Chronicle, ffprobe_duration
from hls_sim import SimulatedLive, encode_segments

STREAMS = 20
WINDOW = 6  # seconds (1 s segments) a playlist lists
LIVE_AFTER_SUBMIT = 20


def test_twenty_live_streams_submitted_at_once_lose_nothing():
    segments = encode_segments(60, size="320x180", rate=10)
    sims = []
    c = Chronicle(env={"CHRONICLE_MAX_RECORDINGS": str(STREAMS + 5)})
    try:
        sims = [SimulatedLive([("live", WINDOW + 3 + LIVE_AFTER_SUBMIT), ("end",)], segments=segments,
                              window=WINDOW) for _ in range(STREAMS)]
        time.sleep(WINDOW + 2)  # every stream is live with a full window before anyone submits

        def submit(sim):
            t = time.monotonic()
            status, job = c.api("POST", "/api/v1/jobs", {"url": sim.url})
            assert status == 201, job
            return sim, t, job["id"]

        with concurrent.futures.ThreadPoolExecutor(max_workers=STREAMS) as pool:
            submitted = list(pool.map(submit, sims))
        jobs = [c.wait_status(job_id, ["completed", "failed", "canceled"], LIVE_AFTER_SUBMIT + 150)
                for _, _, job_id in submitted]

        missed = {}
        for (sim, t, job_id), job in zip(submitted, jobs):
            assert job["status"] == "completed", job
            with sim.lock:
                wanted = [seq for seq, at in sim.published if at >= t]
                lost = [seq for seq in wanted if seq not in sim.served]
                after_submit_s = sum(sim.durations[i] for seq, i in sim.sequence if seq in set(wanted))
            if lost:
                missed[job_id] = lost
            # No beginning lost: the recording holds at least everything broadcast after the submit
            # (and at most the window that was already listed before it, besides).
            duration = ffprobe_duration(os.path.join(c.data, "recordings", job["recording"]["key"]))
            assert duration >= 0.9 * after_submit_s, (job_id, duration, after_submit_s)
            assert duration <= 1.1 * (after_submit_s + WINDOW), (job_id, duration, after_submit_s)
        assert not missed, f"segments published after the submit and never fetched: {missed}"
    finally:
        c.close()
        for s in sims:
            s.close()
