#!/usr/bin/python3
"""A chat server that speaks Twitch's dialect of IRC over WebSocket, on 127.0.0.1, for tests.

It answers the anonymous login (CAP REQ, PASS, NICK, JOIN) as Twitch does, then sends the
channel's messages with their tags, one every --interval-ms: PRIVMSG with display name, colour,
badges, emotes and sometimes bits, a CLEARMSG deleting an earlier one, a USERNOTICE raid. It
PINGs every --ping-ms and counts the PONGs. After --drop-after messages it closes the connection
without a word (a forced disconnect); when the client is back it sends the last --replay
messages again (as a server that replays recent history) and goes on. Messages sent while no
client is joined are not sent to anyone: they are what a reconnect cannot get back.

With --odd, a few messages carry what a chat archive must store safely and show as text: terminal
escapes and control characters (12), bidi overrides and markup (13), invalid UTF-8 in a binary
frame (14) and a 30 KiB line (15).

Every message it sends, and when (epoch ms), is appended as one JSON line to --log; the port it
listens on is printed on stdout once it listens.

    python3 twitch_irc.py --channel somebody --messages 200 --interval-ms 50 --drop-after 80 --log sent.jsonl
"""
import argparse
import asyncio
import json
import sys
import time

import websockets


ODD = {12: "\x1b[31mred\x1b[0m\x07bell\x00nul", 13: "\u202eevil\u202c <b>bold</b> <img src=x onerror=alert(1)>",
       14: "bytes \udcff\udcfe here", 15: "x" * (30 << 10)}


def tags(values):
    def escape(v):
        return str(v).replace("\\", "\\\\").replace(";", "\\:").replace(" ", "\\s").replace("\r", "\\r").replace("\n", "\\n")
    return "@" + ";".join(f"{k}={escape(v)}" for k, v in values.items())


class Chat:
    def __init__(self, args):
        self.args = args
        self.client = None  # the joined connection, if any
        self.joined = asyncio.Event()
        self.sent = []  # (index, line) of every message made, whoever got it
        self.pongs = 0
        self.connections = 0
        self.log = open(args.log, "a", buffering=1) if args.log else None

    def message(self, i):
        login = f"viewer{i % 7}"
        t = {"badge-info": "", "badges": "subscriber/12,premium/1" if i % 3 == 0 else "",
             "color": ["#FF0000", "#1E90FF", ""][i % 3], "display-name": login.capitalize(),
             "emotes": "25:0-4" if i % 5 == 0 else "", "id": f"msg-{i}", "tmi-sent-ts": int(time.time() * 1000),
             "user-id": str(1000 + i % 7)}
        if i % 11 == 0:
            t["bits"] = 100
        text = ("Kappa " if i % 5 == 0 else "") + f"message {i}"
        if self.args.odd and i in ODD:
            t["emotes"] = ""
            text = ODD[i] + f" message {i}"
        return t, f"{tags(t)} :{login}!{login}@{login}.tmi.twitch.tv PRIVMSG #{self.args.channel} :{text}"

    async def send(self, record, line):
        ws = self.client
        delivered = False
        if ws is not None:
            try:
                # A line that is not valid UTF-8 can only go in a binary frame.
                raw = (line + "\r\n").encode("utf-8", "surrogateescape")
                await ws.send(raw if "\udcff" in line else line + "\r\n")
                delivered = True
            except websockets.ConnectionClosed:
                pass
        if self.log:
            self.log.write(json.dumps({**record, "at_ms": int(time.time() * 1000), "delivered": delivered}) + "\n")

    async def script(self):
        await self.joined.wait()
        a = self.args
        loop = asyncio.get_running_loop()
        started = loop.time()
        for i in range(1, a.messages + 1):
            t, line = self.message(i)
            self.sent.append((i, line))
            await self.send({"type": "message", "id": t["id"],
                             "text": line.split(" :", 2)[-1].encode("utf-8", "surrogateescape").decode("utf-8", "replace")},
                            line)
            if i == 5:
                await self.send({"type": "delete", "id": "msg-3"},
                                f"@login=viewer3;target-msg-id=msg-3;tmi-sent-ts={int(time.time() * 1000)} "
                                f":tmi.twitch.tv CLEARMSG #{a.channel} :message 3")
            if i == 9:
                await self.send({"type": "raid"},
                                f"@msg-id=raid;login=raider;display-name=Raider;msg-param-viewerCount=42;"
                                f"system-msg=42\\sraiders\\sfrom\\sRaider;id=raid-1 :tmi.twitch.tv USERNOTICE #{a.channel}")
            if i == a.drop_after and self.client is not None:
                # A forced disconnect: the connection closes without a word.
                ws, self.client = self.client, None
                self.joined.clear()
                await asyncio.sleep(0.05)  # what was sent leaves first
                ws.transport.abort()
                if self.log:
                    self.log.write(json.dumps({"type": "dropped", "at_ms": int(time.time() * 1000)}) + "\n")
            if a.per_second:
                # Paced by the clock, not by sleeps that add up: a steady rate for a benchmark.
                await asyncio.sleep(max(0.0, started + i / a.per_second - loop.time()))
            else:
                await asyncio.sleep(a.interval_ms / 1000)
        if self.log:
            self.log.write(json.dumps({"type": "done", "at_ms": int(time.time() * 1000), "pongs": self.pongs,
                                       "connections": self.connections}) + "\n")

    async def pinger(self):
        while True:
            await asyncio.sleep(self.args.ping_ms / 1000)
            if self.client is not None:
                try:
                    await self.client.send("PING :tmi.twitch.tv\r\n")
                except websockets.ConnectionClosed:
                    pass

    async def handle(self, ws, path=None):
        try:
            await self.serve_client(ws)
        except websockets.ConnectionClosed:
            pass  # the forced disconnect, or the client going
        if self.client is ws:
            self.client = None
            self.joined.clear()

    async def serve_client(self, ws):
        self.connections += 1
        nick = None
        async for frame in ws:
            for line in str(frame).split("\r\n"):
                if not line:
                    continue
                if line.startswith("CAP REQ"):
                    await ws.send(":tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands\r\n")
                elif line.startswith("NICK "):
                    nick = line[5:]
                    await ws.send(f":tmi.twitch.tv 001 {nick} :Welcome, GLHF!\r\n")
                elif line.startswith("JOIN #"):
                    await ws.send(f":{nick}!{nick}@{nick}.tmi.twitch.tv JOIN #{self.args.channel}\r\n")
                    rejoin = self.connections > 1
                    self.client = ws
                    if rejoin:
                        # Recent history again, as a server that replays it.
                        for i, old in self.sent[-self.args.replay:]:
                            await ws.send((old + "\r\n").encode("utf-8", "surrogateescape") if "\udcff" in old
                                          else old + "\r\n")
                    self.joined.set()
                elif line.startswith("PONG"):
                    self.pongs += 1


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--channel", default="somebody")
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--interval-ms", type=int, default=50)
    parser.add_argument("--drop-after", type=int, default=0)
    parser.add_argument("--replay", type=int, default=10)
    parser.add_argument("--ping-ms", type=int, default=1000)
    parser.add_argument("--odd", action="store_true")
    parser.add_argument("--per-second", type=float, default=0, help="send at this steady rate (else every --interval-ms)")
    parser.add_argument("--log")
    args = parser.parse_args()
    chat = Chat(args)
    async with websockets.serve(chat.handle, "127.0.0.1", 0, max_size=1 << 22) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        asyncio.get_running_loop().create_task(chat.pinger())
        await chat.script()
        await asyncio.Future()  # serves until killed


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
