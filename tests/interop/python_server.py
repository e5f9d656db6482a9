#!/usr/bin/python3
"""An ActorGear server written in Python from transports/protocol/PROTOCOL.md alone.

It is an independent implementation of the wire protocol, used to check that
the TypeScript one speaks the documented protocol and nothing private.
Needs Debian's python3-zmq and python3-cbor2 (run with /usr/bin/python3).

Modes:
  --address A --port P --pattern 1|2 --frames N --width W --height H --message T
      Connect (REQ for pattern 1, XPUB for pattern 2) to tcp://A:P, send N raw
      bgr24 frames carrying message T, then `terminate`. In REQ mode wait for
      every reply and print one JSON line per frame reply on stdout:
      {"seq": <request seq>, "reply": <reply message or null>}.
      With --expect-replies every frame reply must carry a message.
      With --rich-message each frame's message is a map that changes per frame:
      {"text": T, "port": P, "seq": s, "n": 2**40, "floats": tag 85 (float32
      little-endian [s, 0.5]), "bytes": bytes (s + k) % 256 for k in 0..4}.
      In PUB mode, wait for the first subscription before publishing.
      With --protocol-version 2 every message has v 2 and each frame travels in
      two parts (§3.1: the envelope without frame.data, then the pixels); in
      REQ mode every reply must then have v 2 too (§5.1: a reply repeats the
      request's version).
  --self-test        encode and decode every kind with this module's codec.
  --dump-sample      print one sample `frame` envelope as hex on stdout.
  --decode           read hex messages on stdin, one per line (a two-part message
                     as two hex strings separated by a space); validate each and
                     print {"ok": <envelope>} or {"rejected": {code, field, message}}
                     as one JSON line (exit 4 if any was rejected).

Frame pattern: byte i of the frame with seq s is (i + 31 * s) % 251.

Exit status: 0 success, 2 usage error, 3 timeout (no reply or no subscriber),
4 protocol failure (invalid reply, error reply, missing reply message).
"""

import argparse
import hashlib
import io
import json
import math
import struct
import sys
import time

import cbor2
import zmq

PROTOCOL_VERSIONS = (1, 2)
KINDS = ("frame", "reply", "terminate", "heartbeat")
CHANNELS_OF = {"bgr24": 3, "rgb24": 3, "rgba": 4, "gray": 1}
ENCODINGS = ("raw", "jpeg")
MAX_SAFE_INTEGER = 2**53 - 1
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
SAMPLE_TS = 1764072000123.25

EXIT_TIMEOUT = 3
EXIT_PROTOCOL = 4


class ProtocolViolation(Exception):
    """A message breaks a rule of PROTOCOL.md (§6 names the codes)."""

    def __init__(self, code, message, field=None):
        super().__init__(message)
        self.code = code
        self.field = field


# ---------------------------------------------------------------- encoding


def now_ms():
    return time.time_ns() / 1e6


def frame_pattern(seq, size):
    """Bytes (i + 31 * seq) % 251 for i in range(size), built by repetition."""
    base = bytes(range(251))
    offset = (31 * seq) % 251
    repeats = (size + offset) // 251 + 1
    return (base * repeats)[offset:offset + size]


def make_envelope(kind, port, seq, ts=None, message=None, frame=None,
                  error=None, version=1):
    envelope = {"v": version, "kind": kind, "port": port,
                "seq": seq, "ts": now_ms() if ts is None else float(ts)}
    if message is not None:
        envelope["message"] = message
    if error is not None:
        envelope["error"] = error
    if frame is not None:
        envelope["frame"] = frame
    return envelope


def make_frame(width, height, seq, fmt="bgr24"):
    channels = CHANNELS_OF[fmt]
    return {"w": width, "h": height, "c": channels, "fmt": fmt, "enc": "raw",
            "data": frame_pattern(seq, width * height * channels)}


def encode(envelope):
    return cbor2.dumps(envelope)


def encode_parts(envelope):
    """§3.1: a version 2 frame as two parts (pixels apart); anything else as one."""
    frame = envelope.get("frame")
    if envelope["v"] != 2 or frame is None:
        return [encode(envelope)]
    head = dict(envelope, frame={k: v for k, v in frame.items() if k != "data"})
    return [encode(head), frame["data"]]


# ---------------------------------------------------------------- decoding


def is_int(value):
    # bool is an int subclass in Python; integral floats are accepted (§2).
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def present(obj, key):
    # §2: a key whose value is CBOR undefined counts as absent.
    return key in obj and obj[key] is not cbor2.undefined


def require_int(obj, key, field, low, high, required=True):
    if not present(obj, key):
        if required:
            raise ProtocolViolation("missing-field", f"required key {field!r} is missing", field)
        return None
    value = obj[key]
    if not is_int(value) or not low <= value <= high:
        raise ProtocolViolation("bad-field", f"key {field!r} must be an integer {low}..{high}, got {value!r}", field)
    return int(value)


def validate_frame(frame, second=None):
    if not isinstance(frame, dict):
        raise ProtocolViolation("bad-field", "key 'frame' must be a map", "frame")
    width = require_int(frame, "w", "frame.w", 1, 65535)
    height = require_int(frame, "h", "frame.h", 1, 65535)
    if not present(frame, "fmt"):
        raise ProtocolViolation("missing-field", "required key 'frame.fmt' is missing", "frame.fmt")
    fmt = frame["fmt"]
    if not isinstance(fmt, str) or fmt not in CHANNELS_OF:  # a list is unhashable
        raise ProtocolViolation("bad-field", f"key 'frame.fmt' must be one of {list(CHANNELS_OF)}", "frame.fmt")
    channels = require_int(frame, "c", "frame.c", 1, 4)
    if channels != CHANNELS_OF[fmt]:
        raise ProtocolViolation("bad-field", f"key 'frame.c' must be {CHANNELS_OF[fmt]} for {fmt}", "frame.c")
    if not present(frame, "enc"):
        raise ProtocolViolation("missing-field", "required key 'frame.enc' is missing", "frame.enc")
    enc = frame["enc"]
    if not isinstance(enc, str) or enc not in ENCODINGS:
        raise ProtocolViolation("bad-field", f"key 'frame.enc' must be one of {list(ENCODINGS)}", "frame.enc")
    if second is not None:
        if present(frame, "data"):
            raise ProtocolViolation("bad-field", "key 'frame.data' must be absent in a two-part message", "frame.data")
        data = second
    elif not present(frame, "data"):
        raise ProtocolViolation("missing-field", "required key 'frame.data' is missing", "frame.data")
    else:
        data = frame["data"]
    if not isinstance(data, bytes):
        raise ProtocolViolation("bad-field", "key 'frame.data' must be a byte string", "frame.data")
    if enc == "raw" and len(data) != width * height * channels:
        raise ProtocolViolation("frame-size-mismatch", f"raw frame needs {width * height * channels} bytes, got {len(data)}", "frame.data")
    if enc == "jpeg" and data[:3] != b"\xff\xd8\xff":
        raise ProtocolViolation("bad-jpeg", "jpeg data must start with FF D8 FF", "frame.data")


def contains_break(value):
    """cbor2 5.4 returns a stray break code (0xff) as a value: not well formed."""
    if value is cbor2.break_marker:
        return True
    if isinstance(value, dict):
        return any(contains_break(k) or contains_break(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(contains_break(v) for v in value)
    if isinstance(value, cbor2.CBORTag):
        return contains_break(value.value)
    return False


def decode_parts(parts, max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES):
    """Decode a message of one part, or of two (version 2, §3.1)."""
    if len(parts) == 1:
        return decode(parts[0], max_message_bytes)
    if len(parts) != 2:
        raise ProtocolViolation("malformed-cbor", f"a message has 1 or 2 parts, got {len(parts)}")
    return decode(parts[0], max_message_bytes, second=parts[1])


def decode(raw, max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES, second=None):
    """Decode and validate one message as PROTOCOL.md §2-§6 and §9 say.

    `second` is a two-part message's second part: the frame's bytes."""
    size = len(raw) + (0 if second is None else len(second))
    if size > max_message_bytes:
        raise ProtocolViolation("oversized", f"{size} bytes exceed {max_message_bytes}")
    if len(raw) == 0:
        raise ProtocolViolation("malformed-cbor", "the message is empty")
    stream = io.BytesIO(raw)
    try:
        item = cbor2.CBORDecoder(stream).decode()
    except Exception as error:  # cbor2 raises several types
        raise ProtocolViolation("malformed-cbor", f"not well-formed CBOR: {error}") from error
    if stream.tell() != len(raw) or contains_break(item):
        raise ProtocolViolation("malformed-cbor", "not exactly one well-formed CBOR item")
    if raw[0] >> 5 != 5 or not isinstance(item, dict):
        raise ProtocolViolation("not-a-map", "the message must be an untagged CBOR map")
    if not present(item, "v"):
        raise ProtocolViolation("missing-field", "required key 'v' is missing", "v")
    version = item["v"]
    if not is_int(version) or version < 0:
        raise ProtocolViolation("bad-field", "key 'v' must be a non-negative integer", "v")
    if version not in PROTOCOL_VERSIONS:
        raise ProtocolViolation("unknown-version", f"protocol version {version} is not supported; valid: 1, 2", "v")
    if second is not None and version != 2:
        raise ProtocolViolation("bad-field", f"a two-part message must have v 2, got {version}", "v")
    if not present(item, "kind"):
        raise ProtocolViolation("missing-field", "required key 'kind' is missing", "kind")
    kind = item["kind"]
    if not isinstance(kind, str) or kind not in KINDS:
        raise ProtocolViolation("bad-field", f"key 'kind' must be one of {list(KINDS)}", "kind")
    require_int(item, "port", "port", 1, 65535)
    require_int(item, "seq", "seq", 0, MAX_SAFE_INTEGER)
    if not present(item, "ts"):
        raise ProtocolViolation("missing-field", "required key 'ts' is missing", "ts")
    ts = item["ts"]
    if isinstance(ts, bool) or not isinstance(ts, (int, float)) or not math.isfinite(ts):
        raise ProtocolViolation("bad-field", "key 'ts' must be a finite number", "ts")
    error = item["error"] if present(item, "error") else None
    if error is not None:
        if not isinstance(error, dict):
            raise ProtocolViolation("bad-field", "key 'error' must be a map", "error")
        if not present(error, "code"):
            raise ProtocolViolation("missing-field", "required key 'error.code' is missing", "error.code")
        if not isinstance(error["code"], str) or not error["code"]:
            raise ProtocolViolation("bad-field", "key 'error.code' must be non-empty text", "error.code")
        if not present(error, "message"):
            raise ProtocolViolation("missing-field", "required key 'error.message' is missing", "error.message")
        if not isinstance(error["message"], str):
            raise ProtocolViolation("bad-field", "key 'error.message' must be text", "error.message")
    has_frame = present(item, "frame")
    if kind == "frame" and not has_frame and not present(item, "message"):
        # §2/§4: a frame envelope may carry data alone, but not nothing at all.
        raise ProtocolViolation("missing-field", "kind 'frame' requires key 'frame' or 'message'", "frame")
    if kind != "reply":
        if has_frame and kind != "frame":
            raise ProtocolViolation("bad-field", f"key 'frame' is not allowed on kind {kind!r}", "frame")
        if error is not None:
            raise ProtocolViolation("bad-field", f"key 'error' is not allowed on kind {kind!r}", "error")
    if second is not None and not has_frame:
        raise ProtocolViolation("missing-field", "a two-part message's second part is a frame's bytes: key 'frame' is required", "frame")
    if has_frame:
        validate_frame(item["frame"], second)
        if second is not None:
            item["frame"]["data"] = second
    if "message" in item and not present(item, "message"):
        del item["message"]
    return item


# ---------------------------------------------------------------- JSON output


def to_json(value):
    """Make a decoded CBOR value printable as JSON, keeping its meaning visible."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": len(value), "sha256": hashlib.sha256(value).hexdigest(),
                "head": bytes(value[:16]).hex()}
    if isinstance(value, cbor2.CBORTag):
        return {"$tag": value.tag, "value": to_json(value.value)}
    if isinstance(value, (set, frozenset)):
        return {"$set": sorted((to_json(v) for v in value), key=repr)}
    if value is cbor2.undefined:
        return {"$undefined": True}
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": repr(value)}
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        return {"$bigint": str(value)}
    if hasattr(value, "isoformat"):
        return {"$datetime": value.isoformat()}
    return value


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def log(text):
    sys.stderr.write(f"python_server: {text}\n")
    sys.stderr.flush()


# ---------------------------------------------------------------- modes


def run_req(args, context):
    socket = context.socket(zmq.REQ)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.MAXMSGSIZE, DEFAULT_MAX_MESSAGE_BYTES)
    socket.connect(f"tcp://{args.address}:{args.port}")
    poller = zmq.Poller()
    poller.register(socket, zmq.POLLIN)
    seq = 0
    try:
        requests = [("frame", i) for i in range(args.frames)] + [("terminate", None)]
        for kind, index in requests:
            if kind == "frame":
                envelope = make_envelope("frame", args.port, seq, message=frame_message(args, seq),
                                         frame=make_frame(args.width, args.height, seq),
                                         version=args.protocol_version)
            else:
                envelope = make_envelope("terminate", args.port, seq, version=args.protocol_version)
            socket.send_multipart(encode_parts(envelope))
            if not poller.poll(args.timeout_ms):
                log(f"no reply to seq {seq} ({kind}) within {args.timeout_ms} ms")
                return EXIT_TIMEOUT
            try:
                reply = decode_parts(socket.recv_multipart())
            except ProtocolViolation as violation:
                log(f"invalid reply to seq {seq}: {violation.code} ({violation})")
                return EXIT_PROTOCOL
            if reply["kind"] != "reply":
                log(f"expected kind 'reply', got {reply['kind']!r}")
                return EXIT_PROTOCOL
            if "error" in reply:
                emit({"seq": seq, "error": to_json(reply["error"])})
                return EXIT_PROTOCOL
            if reply["v"] != args.protocol_version:
                log(f"reply to seq {seq} has v {reply['v']}, expected the request's {args.protocol_version}")
                return EXIT_PROTOCOL
            if reply["seq"] != seq or reply["port"] != args.port:
                log(f"reply answers seq {reply['seq']} on port {reply['port']}, expected {seq} on {args.port}")
                return EXIT_PROTOCOL
            if kind == "frame":
                if args.expect_replies and "message" not in reply:
                    log(f"reply to seq {seq} carries no message")
                    return EXIT_PROTOCOL
                emit({"seq": seq, "reply": to_json(reply.get("message"))})
            seq += 1
    finally:
        socket.close(0)
    return 0


def run_pub(args, context):
    socket = context.socket(zmq.XPUB)
    socket.setsockopt(zmq.LINGER, args.timeout_ms)
    socket.connect(f"tcp://{args.address}:{args.port}")
    poller = zmq.Poller()
    poller.register(socket, zmq.POLLIN)
    try:
        # §5.2: wait for the subscriber so the first frames are not dropped.
        while True:
            if not poller.poll(args.timeout_ms):
                log(f"no subscriber within {args.timeout_ms} ms")
                return EXIT_TIMEOUT
            if socket.recv()[:1] == b"\x01":
                break
        seq = 0
        version = args.protocol_version
        for _ in range(args.frames):
            socket.send_multipart(encode_parts(make_envelope(
                "frame", args.port, seq, message=frame_message(args, seq),
                frame=make_frame(args.width, args.height, seq), version=version)))
            seq += 1
        for _ in range(args.heartbeats):
            socket.send(encode(make_envelope("heartbeat", args.port, seq, version=version)))
            seq += 1
        socket.send(encode(make_envelope("terminate", args.port, seq, version=version)))
    finally:
        socket.close()  # lingers up to --timeout-ms so terminate is flushed
    return 0


def frame_message(args, seq):
    """The message sent with frame `seq`: plain text, or a per-frame map (--rich-message)."""
    if not args.rich_message:
        return args.message
    return {
        "text": args.message,
        "port": args.port,
        "seq": seq,
        "n": 2**40,
        "floats": cbor2.CBORTag(85, struct.pack("<2f", float(seq), 0.5)),
        "bytes": bytes((seq + k) % 256 for k in range(5)),
    }


def sample_envelope(args):
    return make_envelope(
        "frame", args.port, 0, ts=SAMPLE_TS,
        message={
            "text": args.message,
            "n": 2**40,
            "big": 2**70,
            "neg": -7,
            "pi": 3.25,
            "floats": cbor2.CBORTag(85, struct.pack("<3f", 1.5, -2.0, 0.25)),
            "nested": [1, None, True, {"k": b"\x01\x02"}],
        },
        frame=make_frame(args.width, args.height, 0))


def self_test(args):
    port = args.port
    cases = [
        make_envelope("frame", port, 0, message="hello", frame=make_frame(4, 2, 0)),
        make_envelope("frame", port, 1, frame=make_frame(3, 3, 1, fmt="rgba")),
        make_envelope("frame", port, 2, message={"data": "alone"}),
        make_envelope("heartbeat", port, 2),
        make_envelope("terminate", port, 3, message={"reason": "done"}),
        make_envelope("reply", port, 0, message=[1, 2, 3]),
        make_envelope("reply", port, 1, error={"code": "unknown-version", "message": "v 2"}),
        sample_envelope(args),
    ]
    for envelope in cases:
        decoded = decode(encode(envelope))
        assert decoded == envelope, (decoded, envelope)
        two = dict(envelope, v=2)
        parts = encode_parts(two)
        assert len(parts) == (2 if "frame" in envelope else 1), parts
        assert decode_parts(parts) == two, (decode_parts(parts), two)
    bad = [
        (b"", "malformed-cbor"),
        (b"\xff", "malformed-cbor"),
        (b"\xa1\x61\x76\xff", "malformed-cbor"),
        (cbor2.dumps([1]), "not-a-map"),
        (cbor2.dumps({"v": 1, "kind": "heartbeat", "port": 1, "seq": 0, "ts": 1.0}) + b"\x00", "malformed-cbor"),
        (cbor2.dumps({"v": 3, "kind": "heartbeat"}), "unknown-version"),
        (cbor2.dumps({"v": 1, "kind": "nope", "port": 1, "seq": 0, "ts": 1.0}), "bad-field"),
        (cbor2.dumps({"v": 1, "kind": "heartbeat", "seq": 0, "ts": 1.0}), "missing-field"),
        (cbor2.dumps({"v": 1, "kind": "heartbeat", "port": 0, "seq": 0, "ts": 1.0}), "bad-field"),
        (cbor2.dumps({"v": 1, "kind": "frame", "port": 1, "seq": 0, "ts": 1.0}), "missing-field"),
        (cbor2.dumps({"v": 1, "kind": "frame", "port": 1, "seq": 0, "ts": 1.0, "message": cbor2.undefined}), "missing-field"),
        (cbor2.dumps({"v": 1, "kind": "heartbeat", "port": 1, "seq": 0, "ts": 1.0, "error": {"code": "x", "message": ""}}), "bad-field"),
        (encode(make_envelope("frame", port, 0, frame=dict(make_frame(2, 2, 0), data=b"xx"))), "frame-size-mismatch"),
        (encode(make_envelope("frame", port, 0, frame=dict(make_frame(2, 2, 0), enc="jpeg"))), "bad-jpeg"),
        (encode(make_envelope("frame", port, 0, frame=dict(make_frame(2, 2, 0), c=4))), "bad-field"),
        (encode(make_envelope("frame", port, 0, frame=dict(make_frame(2, 2, 0), fmt=["bgr24"]))), "bad-field"),
        (cbor2.dumps({"v": 1, "kind": ["frame"], "port": 1, "seq": 0, "ts": 1.0}), "bad-field"),
    ]
    head, pixels = encode_parts(make_envelope("frame", port, 0, frame=make_frame(2, 2, 0), version=2))
    bad += [
        ([head, pixels, b""], "malformed-cbor"),
        ([encode(make_envelope("frame", port, 0, message="x", version=2)), pixels], "missing-field"),
        ([cbor2.dumps(dict(cbor2.loads(head), v=1)), pixels], "bad-field"),
        ([encode(make_envelope("frame", port, 0, frame=make_frame(2, 2, 0), version=2)), pixels], "bad-field"),
        ([head, pixels[1:]], "frame-size-mismatch"),
    ]
    for raw, code in bad:
        parts = raw if isinstance(raw, list) else [raw]
        try:
            decode_parts(parts)
        except ProtocolViolation as violation:
            assert violation.code == code, ([p.hex() for p in parts], violation.code, code)
        else:
            raise AssertionError(f"accepted {[p.hex() for p in parts]}, expected {code}")
    assert frame_pattern(2, 5) == bytes((i + 62) % 251 for i in range(5))
    print("self-test ok")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5566)
    parser.add_argument("--pattern", type=int, choices=(1, 2), default=1)
    parser.add_argument("--frames", type=int, default=1)
    parser.add_argument("--width", type=int, default=4)
    parser.add_argument("--height", type=int, default=2)
    parser.add_argument("--message", default="hello")
    parser.add_argument("--heartbeats", type=int, default=0,
                        help="PUB mode: heartbeats to send after the frames")
    parser.add_argument("--expect-replies", action="store_true",
                        help="REQ mode: every frame reply must carry a message")
    parser.add_argument("--rich-message", action="store_true",
                        help="send a per-frame map as each frame's message (see above)")
    parser.add_argument("--protocol-version", type=int, choices=(1, 2), default=1,
                        help="v of every message sent; 2 sends frames in two parts")
    parser.add_argument("--timeout-ms", type=int, default=5000)
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument("--dump-sample", action="store_true")
    parser.add_argument("--decode", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.port <= 65535 or not 1 <= args.width <= 65535 or not 1 <= args.height <= 65535:
        parser.error("--port, --width and --height must be 1..65535")
    if args.frames < 0 or args.heartbeats < 0:
        parser.error("--frames and --heartbeats must be >= 0")

    if args.self_test:
        return self_test(args)
    if args.dump_sample:
        print(encode(sample_envelope(args)).hex())
        return 0
    if args.decode:
        status = 0
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                emit({"ok": to_json(decode_parts([bytes.fromhex(part) for part in line.split()]))})
            except ProtocolViolation as violation:
                emit({"rejected": {"code": violation.code, "field": violation.field,
                                   "message": str(violation)}})
                status = EXIT_PROTOCOL
        return status

    context = zmq.Context()
    try:
        return run_req(args, context) if args.pattern == 1 else run_pub(args, context)
    finally:
        context.term()


if __name__ == "__main__":
    sys.exit(main())
