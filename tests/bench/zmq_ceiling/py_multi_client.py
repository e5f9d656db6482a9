"""Raw pyzmq (Debian's python3-zmq, libzmq in C): the multi-server ceiling's
receiving process, as node_multi_client.mjs is under Node. Binds one SUB
(--pattern 2) or REP (--pattern 1) socket per port and polls them all with
one zmq.Poller; measures the same window as _window.mjs (_py_window.py).
REP answers each frame with 16 bytes. With --ack-ports (PUB/SUB), pushes to
each server the next seq it expects every --every frames: the credit
py_multi_server.py waits for.

Prints JSON lines: `ready` once bound (`error` if a bind fails), `window`
as the measured window begins, `result` at its end; then exits.

    /usr/bin/python3 -B py_multi_client.py --ports 5701,5702 --pattern 1
"""

import argparse
import os
import struct
import sys

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _py_window import Window, emit, now_ms  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--ports", default="5701")
parser.add_argument("--ack-ports", default="")
parser.add_argument("--every", type=int, default=2)
parser.add_argument("--hwm", type=int, default=8)
parser.add_argument("--pattern", default="2")
parser.add_argument("--warmup", type=float, default=0.5)
parser.add_argument("--seconds", type=float, default=2)
# A bound on the whole run: servers that never deliver must not keep it alive.
parser.add_argument("--give-up", type=float, default=120)
args = parser.parse_args()
ports = [int(p) for p in args.ports.split(",")]
pub_sub = args.pattern == "2"

context = zmq.Context()
sockets = []
try:
    for port in ports:
        if pub_sub:
            socket = context.socket(zmq.SUB)
            socket.setsockopt(zmq.RCVHWM, args.hwm)
            socket.setsockopt(zmq.SUBSCRIBE, b"")
        else:
            socket = context.socket(zmq.REP)
        socket.setsockopt(zmq.LINGER, 0)
        socket.bind(f"tcp://127.0.0.1:{port}")
        sockets.append(socket)
except zmq.ZMQError as error:
    # The bench retries on fresh ports when it reads this.
    emit({"event": "error", "message": f"Cannot bind: {error}"})
    context.destroy(linger=0)
    sys.exit(3)

acks = []
for port in filter(None, args.ack_ports.split(",")):
    push = context.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 0)
    push.connect(f"tcp://127.0.0.1:{port}")
    acks.append(push)

poller = zmq.Poller()
for socket in sockets:
    poller.register(socket, zmq.POLLIN)
index = {socket: i for i, socket in enumerate(sockets)}
window = Window(len(ports), args.warmup * 1000, args.seconds * 1000)
emit({"event": "ready", "ports": ports})
give_up_at = now_ms() + args.give_up * 1000

HEAD = struct.Struct("<I4xd")
reply = bytes(16)
credit = bytearray(4)
every = args.every
result = None
while result is None:
    if now_ms() > give_up_at:
        emit({"event": "error", "message": f"Cannot measure: no window within {args.give_up} s"})
        context.destroy(linger=0)
        sys.exit(4)
    # One message per readable socket per poll: every server gets a turn,
    # as each of Node's receive loops does.
    for socket, _ in poller.poll(window.timeout_ms()):
        try:
            message = socket.recv(zmq.NOBLOCK, copy=False)
        except zmq.Again:
            continue
        i = index[socket]
        seq, sent_at = HEAD.unpack_from(message.buffer)
        window.record(i, seq, sent_at, len(message))
        if not pub_sub:
            socket.send(reply)
        elif acks and (seq + 1) % every == 0:
            struct.pack_into("<I", credit, 0, seq + 1)
            acks[i].send(credit)
    turned = window.advance()
    if turned == "window":
        # The bench reads the machine's CPU counters when this line arrives.
        emit({"event": "window"})
    elif turned is not None:
        result = turned
emit({"event": "result", **result})
context.destroy(linger=0)
