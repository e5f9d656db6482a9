"""Raw pyzmq (Debian's python3-zmq, libzmq in C): publishes --frames frames
of 640x480x3 bytes with credit-based flow control (at most --window frames
unacknowledged), as node_pub.mjs does, so no frame is dropped and the rate
measured is the sustained end-to-end rate. Pairs with any *_sub peer.

    /usr/bin/python3 -B py_pub.py --data tcp://127.0.0.1:5601 --ack tcp://127.0.0.1:5602
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
# A bound on the whole run, should the subscriber never answer.
parser.add_argument("--give-up", type=float, default=120)
args = parser.parse_args()
FRAME_BYTES = 640 * 480 * 3

context = zmq.Context()
pub = context.socket(zmq.PUB)
pub.setsockopt(zmq.LINGER, 0)
pub.setsockopt(zmq.SNDHWM, 2 * args.window)
ack = context.socket(zmq.PULL)
ack.setsockopt(zmq.LINGER, 0)
ack.setsockopt(zmq.RCVTIMEO, int(args.give_up * 1000))
pub.bind(args.data)
ack.bind(args.ack)

# Slow joiner: PUB drops everything until the subscription has arrived, so
# send one-byte hellos until the subscriber answers on the ack socket.
give_up_at = time.monotonic() + args.give_up
while not ack.poll(10):
    if time.monotonic() > give_up_at:
        raise SystemExit(f"Cannot publish: no subscriber answered within {args.give_up} s")
    pub.send(b"\x00")
ack.recv()

# A frame is reused only after the subscriber acknowledged it, so ZeroMQ
# (which sends it zero-copy) no longer reads it.
ring = [bytearray(b"\x07" * FRAME_BYTES) for _ in range(2 * args.window)]
acked = 0


def read_ack():
    global acked
    acked = struct.unpack_from("<I", ack.recv())[0]


started = time.perf_counter()
for i in range(args.frames):
    while i - acked >= args.window:
        read_ack()
    frame = ring[i % len(ring)]
    struct.pack_into("<I", frame, 0, i)
    pub.send(frame, copy=False)
while acked < args.frames:
    read_ack()
ms = (time.perf_counter() - started) * 1000
print(json.dumps({"role": "pub", "runtime": "py", "frames": args.frames, "ms": ms}), flush=True)
context.destroy(linger=0)
