"""Raw pyzmq (Debian's python3-zmq, libzmq in C): the same REQ/REP round
trips as node_reqrep.mjs and deno_reqrep.ts. The REQ side prints
{"role": "req", "runtime": "py", "rounds", "size", "p50", "p99", "perSecond"}
(latencies in ms).

    /usr/bin/python3 -B py_reqrep.py --role rep --endpoint tcp://127.0.0.1:5603 &
    /usr/bin/python3 -B py_reqrep.py --role req --endpoint tcp://127.0.0.1:5603
"""

import argparse
import json
import math
import time

import zmq

parser = argparse.ArgumentParser()
parser.add_argument("--role", default="req")
parser.add_argument("--endpoint", default="tcp://127.0.0.1:5603")
parser.add_argument("--rounds", type=int, default=5000)
parser.add_argument("--warmup", type=int, default=200)
parser.add_argument("--size", type=int, default=1024)
# A bound on every wait, should the peer be gone.
parser.add_argument("--give-up", type=float, default=60)
args = parser.parse_args()
total = args.rounds + args.warmup

context = zmq.Context()
if args.role == "rep":
    rep = context.socket(zmq.REP)
    rep.setsockopt(zmq.LINGER, 0)
    rep.setsockopt(zmq.RCVTIMEO, int(args.give_up * 1000))
    rep.bind(args.endpoint)
    for _ in range(total):
        rep.send(rep.recv(copy=False))
else:
    req = context.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.setsockopt(zmq.RCVTIMEO, int(args.give_up * 1000))
    req.connect(args.endpoint)
    payload = b"\x01" * args.size
    times = [0.0] * args.rounds
    started = time.perf_counter()
    for i in range(total):
        sent = time.perf_counter()
        req.send(payload)
        req.recv(copy=False)
        if i >= args.warmup:
            times[i - args.warmup] = (time.perf_counter() - sent) * 1000
    ms = (time.perf_counter() - started) * 1000
    times.sort()

    def at(q):
        return times[min(args.rounds - 1, math.ceil(q * args.rounds) - 1)]

    print(json.dumps({
        "role": "req",
        "runtime": "py",
        "rounds": args.rounds,
        "size": args.size,
        "p50": at(0.5),
        "p99": at(0.99),
        "perSecond": total / ms * 1000,
    }), flush=True)
context.destroy(linger=0)
