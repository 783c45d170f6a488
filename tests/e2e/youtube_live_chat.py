"""Stands in for yt-dlp's YouTube live_chat downloader (`yt-dlp --skip-download --write-subs
--sub-langs live_chat -o TEMPLATE URL`): appends actions to TEMPLATE with ext live_chat.json, one
line each, in the exact shape yt-dlp writes for a live chat (each action wrapped as a replay
action with videoOffsetTimeMsec and isLive). The first run ends with an error after --fail-after
messages, as yt-dlp does when YouTube stops answering; the next run starts by sending the last
--replay messages again, as YouTube's first page of a chat does. Every message sent is logged to
$YT_CHAT_LOG as {"id", "at_ms", "run"}."""
import json
import os
import sys
import time

MESSAGES = int(os.environ.get("YT_CHAT_MESSAGES", "120"))
INTERVAL = float(os.environ.get("YT_CHAT_INTERVAL_MS", "100")) / 1000
FAIL_AFTER = int(os.environ.get("YT_CHAT_FAIL_AFTER", "40"))
REPLAY = 5


def renderer(n, now_ms):
    runs = [{"text": f"yt message {n} "}]
    if n % 10 == 0:
        runs.append({"emoji": {"emojiId": "UCkszU/yt_custom_wave", "shortcuts": [":_wave:"], "isCustomEmoji": True}})
    if n % 15 == 0:
        runs.append({"emoji": {"emojiId": "\U0001F600", "shortcuts": [":grinning_face:"]}})
    r = {"id": f"yt-{n}", "message": {"runs": runs}, "authorName": {"simpleText": f"YtViewer{n % 4}"},
         "authorExternalChannelId": f"UCviewer{n % 4}", "timestampUsec": str(now_ms * 1000),
         "authorBadges": [{"liveChatAuthorBadgeRenderer": {"tooltip": "Member (2 months)"}}] if n % 4 == 1 else []}
    if n % 25 == 0:
        r["purchaseAmountText"] = {"simpleText": "$5.00"}
        return {"liveChatPaidMessageRenderer": r}
    return {"liveChatTextMessageRenderer": r}


def line(action, offset_ms):
    return json.dumps({"replayChatItemAction": {"actions": [action]}, "videoOffsetTimeMsec": str(offset_ms),
                       "isLive": True}, ensure_ascii=False) + "\n"


def main():
    template = sys.argv[sys.argv.index("-o") + 1]
    out_path = template.replace("%(ext)s", "live_chat.json")
    state = os.environ["YT_CHAT_LOG"] + ".state"
    run = int(open(state).read()) + 1 if os.path.exists(state) else 1
    open(state, "w").write(str(run))
    start_ms = int(time.time() * 1000)
    log = open(os.environ["YT_CHAT_LOG"], "a")
    first = 1 if run == 1 else max(1, FAIL_AFTER - REPLAY + 1)
    with open(out_path, "a") as out:
        for n in range(first, MESSAGES + 1):
            now_ms = int(time.time() * 1000)
            replayed = run > 1 and n <= FAIL_AFTER
            if not replayed:
                log.write(json.dumps({"id": f"yt-{n}", "at_ms": now_ms, "run": run}) + "\n")
                log.flush()
            out.write(line({"addChatItemAction": {"item": renderer(n, now_ms), "clientId": "x"}}, now_ms - start_ms))
            if n == 12:
                out.write(line({"markChatItemAsDeletedAction": {
                    "deletedStateMessage": {"runs": [{"text": "[message retracted]"}]}, "targetItemId": "yt-3"}},
                    now_ms - start_ms))
            out.write(line({"addLiveChatTickerItemAction": {"item": {}}}, now_ms - start_ms))
            out.flush()
            if run == 1 and n == FAIL_AFTER:
                print("ERROR: [youtube] live chat: HTTP Error 503: Service Unavailable", file=sys.stderr)
                return 1
            if not replayed:
                time.sleep(INTERVAL)
    # The stream goes on after its chat: wait to be stopped, as yt-dlp waits on the next page.
    while True:
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
