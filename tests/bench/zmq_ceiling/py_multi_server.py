"""Raw pyzmq (Debian's python3-zmq, libzmq in C): one sending process of the
multi-server ceiling, the same frames, sockets and flow control as
node_multi_server.mjs (see there), into py_multi_client.py.

Connects a PUB (--pattern 2) or REQ (--pattern 1) socket to the client's
--port and sends --width x --height x 3 frames as fast as it may, or at
--fps, until SIGTERM or --seconds. No envelope: the frame's first 16 bytes
carry the seq (uint32 LE at 0) and sentAt (float64 LE at 8, ms since the
epoch, taken just before the send). PUB with --ack-port waits for credit
(at most --window frames unacknowledged); without, it drops at the
high-water mark as vidgear does.

Prints one JSON line when stopped: {"event": "server", "port", "sent",
"timeouts", "skipped"}.

    /usr/bin/python3 -B py_multi_server.py --port 5701 --pattern 1
"""

import argparse
import os
import signal
import struct
import sys
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _py_window import Pacer, emit, now_ms  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=5701)
parser.add_argument("--ack-port", type=int)
parser.add_argument("--pattern", default="2")
parser.add_argument("--width", type=int, default=640)
parser.add_argument("--height", type=int, default=480)
parser.add_argument("--window", type=int, default=8)
parser.add_argument("--hwm", type=int, default=8)
parser.add_argument("--fps", type=float, default=0)
parser.add_argument("--seconds", type=float, default=120)
args = parser.parse_args()
pub_sub = args.pattern == "2"

seq = 0
timeouts = 0
pacer = None


def stop(*_):
    # A REQ or a credit wait may block forever once the client is gone:
    # stop at once. pyzmq retries a blocking call after EINTR only once
    # Python's handlers have run, so this runs even there.
    emit({
        "event": "server",
        "port": args.port,
        "sent": seq,
        "timeouts": timeouts,
        "skipped": pacer.skipped if pacer else 0,
    })
    os._exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGALRM, stop)
signal.setitimer(signal.ITIMER_REAL, args.seconds)

context = zmq.Context()
# pyzmq sends with copy=False without a copy (past its copy threshold, 64 KB
# by default): a buffer is rewritten only after 32 later sends, by when it
# has long left (at most --window or the high-water mark are in flight).
ring = [bytearray(b"\x07" * (args.width * args.height * 3)) for _ in range(32)]
HEAD = struct.Struct("<I4xd")
if pub_sub:
    socket = context.socket(zmq.PUB)
    socket.setsockopt(zmq.SNDHWM, args.hwm)
else:
    socket = context.socket(zmq.REQ)
socket.setsockopt(zmq.LINGER, 0)
ack = None
if pub_sub and args.ack_port:
    ack = context.socket(zmq.PULL)
    ack.setsockopt(zmq.LINGER, 0)
    ack.setsockopt(zmq.RCVTIMEO, 50)
    ack.bind(f"tcp://127.0.0.1:{args.ack_port}")
socket.connect(f"tcp://127.0.0.1:{args.port}")

acked = 0
credited = False
if args.fps > 0:
    pacer = Pacer(args.fps)
while True:
    while ack is not None and seq - acked >= args.window:
        try:
            acked = max(acked, struct.unpack_from("<I", ack.recv())[0])
            credited = True
        except zmq.Again:
            # Before the first credit, PUB drops frames (no subscription yet): move on.
            if not credited:
                acked = seq - args.window + 1
            timeouts += 1
    frame = ring[seq % len(ring)]
    HEAD.pack_into(frame, 0, seq & 0xFFFFFFFF, now_ms())
    # A PUB at its high-water mark drops without blocking, as zeromq.js's does.
    socket.send(frame, copy=False)
    if not pub_sub:
        socket.recv(copy=False)
    seq += 1
    if pacer is not None:
        wait = pacer.next() - now_ms()
        if wait > 0:
            time.sleep(wait / 1000)
