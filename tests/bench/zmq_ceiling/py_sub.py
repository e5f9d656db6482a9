"""Raw pyzmq (Debian's python3-zmq, libzmq in C): receives what a *_pub
peer publishes, acknowledges every --every frames, reports fps and MB/s,
as node_sub.mjs does.

    /usr/bin/python3 -B py_sub.py --data tcp://127.0.0.1:5601 --ack tcp://127.0.0.1:5602
"""

import argparse
import json
import struct
import time

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--data", default="tcp://127.0.0.1:5601")
parser.add_argument("--ack", default="tcp://127.0.0.1:5602")
parser.add_argument("--frames", type=int, default=3000)
parser.add_argument("--window", type=int, default=64)
parser.add_argument("--every", type=int, default=16)
# A bound on every wait, should the publisher stop.
parser.add_argument("--give-up", type=float, default=120)
args = parser.parse_args()
FRAME_BYTES = 640 * 480 * 3

context = zmq.Context()
sub = context.socket(zmq.SUB)
sub.setsockopt(zmq.LINGER, 0)
sub.setsockopt(zmq.RCVHWM, 2 * args.window)
sub.setsockopt(zmq.RCVTIMEO, int(args.give_up * 1000))
sub.setsockopt(zmq.SUBSCRIBE, b"")
ack = context.socket(zmq.PUSH)
ack.setsockopt(zmq.LINGER, 0)
sub.connect(args.data)
ack.connect(args.ack)


def acknowledge(n):
    ack.send(struct.pack("<I", n))


said = False
received = 0
first = 0.0
nbytes = 0
while received < args.frames:
    message = sub.recv(copy=False)
    size = len(message)
    if size == 1:
        if not said:
            acknowledge(0)
        said = True
        continue
    if size != FRAME_BYTES:
        raise SystemExit(f"frame of {size} bytes")
    seq = struct.unpack_from("<I", message.buffer)[0]
    if seq != received:
        raise SystemExit(f"expected frame {received}, got {seq}")
    if received == 0:
        first = time.perf_counter()
    received += 1
    nbytes += size
    if received % args.every == 0 or received == args.frames:
        acknowledge(received)
ms = (time.perf_counter() - first) * 1000
# The first frame starts the clock, so frames - 1 intervals were timed.
fps = (args.frames - 1) / ms * 1000
print(json.dumps({
    "role": "sub",
    "runtime": "py",
    "frames": args.frames,
    "ms": ms,
    "fps": fps,
    "mbps": fps * FRAME_BYTES / 1e6,
}), flush=True)
context.destroy(linger=0)
