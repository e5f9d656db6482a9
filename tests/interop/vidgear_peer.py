#!/usr/bin/python3
"""A peer speaking vidgear 0.3.5's own NetGear wire format, multi-server mode.

vidgear is not installable here, so this is an independent implementation of
what vidgear's netgear.py puts on the wire, for ActorGear's NetGear to be
tested against. Needs Debian's python3-zmq and python3-numpy, and for --jpeg
python3-pil (run with /usr/bin/python3).

Wire format (vidgear multi-server mode; the client binds, every server connects):
  frame     two parts: [JSON object (utf-8, pyzmq's send_json), pixel bytes]
            {"port": P, "terminate_flag": false,
             "compression": false | {"dct": bool, "ups": bool, "colorspace": "BGR"},
             "message": <any JSON value or null>, "pattern": "1" | "2",
             "dtype": "uint8" (numpy's name; "" when JPEG),
             "shape": [h, w, c] or [h, w] ("" when JPEG)}
  ack       (REQ/REP) the client answers each frame with a plain utf-8 string,
            "Data received on device: <8 chars A-Z0-9> !"
  reply     (REQ/REP, bidirectional) a JSON object instead:
            {"return_type": "str" | "dict" | "list" | "int" | "float" | "bool"
             | "NoneType", "data": <value>}, or for an array
            {"return_type": "ndarray", "compression": false | {...},
             "array_dtype": "uint8" | "", "array_shape": [...] | "", "data": null}
            followed by the array bytes as a second part
  terminate ONE part: {"terminate_flag": true, "port": P} (vidgear's close());
            REQ/REP clients answer "Termination signal successfully received
            at client!". --terminate-empty-part adds an empty second part.
The server's REQ sets ZMQ_REQ_RELAXED and ZMQ_REQ_CORRELATE (so each request
carries a 4-byte request id frame before the empty delimiter); PUB and SUB set
both high-water marks to --hwm (vidgear: 1). JPEG is baseline, quality 90,
4:2:2 chroma subsampling, as vidgear's simplejpeg call (Pillow has no fastdct).

Frame content: frame k (0, 1, ...) of the server on port P has value
v = (2x + 3y + 50c + 17k + P) mod 256 at row y, column x, channel c; uint8
stores v, uint16 stores 257 v, float32 stores v / 255. One channel gives a
2-D [h, w] frame.

Modes (stdout carries JSON lines only, one object each, with a "kind"):
  server --port P   connect REQ (--pattern 1) or PUB (--pattern 2) to
      tcp://ADDRESS:P, send --frames frames, then terminate. Prints
      {"kind": "sent", "index", "shape", "dtype", "sha256", "channel_means"}
      per frame; in REQ/REP also {"kind": "ack", "index", "text"} or, with
      --bidirectional, {"kind": "reply", "index", "return_type", "data"
      [, "port"] [, "shape", "dtype", "compression", "sha256",
      "channel_means"]}; then {"kind": "terminate-ack", "text": <str or null>}
      (null: no answer within --terminate-ack-ms, which vidgear tolerates).
  client --ports P [P ...]   bind REP (--pattern 1) or SUB (--pattern 2) on
      each port (0: any free one), print {"kind": "listening", "ports": [...]}
      once bound, then one line per frame:
      {"kind": "frame", "port", "index" (per port, from 0), "pattern",
       "shape", "dtype", "compression", "message", "sha256" (of the decoded
       pixels), "channel_means", "bytes" (of the second part), "extra_keys"}
      and {"kind": "terminate", "port", "parts", "keys"} per terminate, until
      every bound port's server terminated. In REQ/REP it answers as vidgear
      does: the ack string, or with --bidirectional a reply carrying
      --return-data (JSON, else a string) or --return-array HxWxC.
  --self-test   run servers and clients of this module against each other in
      threads (both patterns, bidirectional returns, JPEG, two-part
      terminate, malformed frames, timeouts); prints {"kind": "self-test",
      "case", "ok"} per case.

Exit status: 0 success, 1 unexpected error, 2 usage error, 3 timeout (no
reply, no subscriber, no frame), 4 protocol violation (what came in is not
vidgear's format), 5 self-test mismatch. Errors go to stderr.
"""

import argparse
import hashlib
import io
import json
import queue
import re
import secrets
import string
import sys
import threading
import time

import numpy as np
import zmq

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
EXIT_PROTOCOL = 4
EXIT_SELF_TEST = 5

ACK_PATTERN = re.compile(r"^Data received on device: [A-Z0-9]{8} !$")
TERMINATE_ACK = "Termination signal successfully received at client!"
FRAME_KEYS = ("terminate_flag", "compression", "message", "pattern", "dtype", "shape", "port")
COLORSPACES = ("BGR", "RGB", "GRAY")
DTYPES = ("uint8", "uint16", "float32")
CORRUPTIONS = ("short-data", "no-port", "bad-json", "one-part", "wrong-pattern")
JPEG_QUALITY = 90
# Pillow's subsampling=1 is 4:2:2, the subsampling vidgear asks simplejpeg for.
JPEG_SUBSAMPLING_422 = 1


class Timeout(Exception):
    """A bounded wait ended without what it waited for."""


class ProtocolError(Exception):
    """What came in is not vidgear's NetGear format."""


# ---------------------------------------------------------------- frames


def frame_pixels(height, width, channels, dtype, port, index):
    """The documented deterministic frame: (2x + 3y + 50c + 17k + P) mod 256."""
    y = np.arange(height, dtype=np.int64).reshape(-1, 1, 1)
    x = np.arange(width, dtype=np.int64).reshape(1, -1, 1)
    c = np.arange(channels, dtype=np.int64).reshape(1, 1, -1)
    v = (2 * x + 3 * y + 50 * c + 17 * index + port) % 256
    if channels == 1:
        v = v[:, :, 0]
    if dtype == "uint8":
        return v.astype(np.uint8)
    if dtype == "uint16":
        return (v * 257).astype(np.uint16)
    if dtype == "float32":
        return (v / 255.0).astype(np.float32)
    raise ValueError(f"unsupported dtype {dtype!r}")


def parse_shape(text):
    """'HxWxC' or 'HxW' to a tuple of positive ints."""
    try:
        shape = tuple(int(n) for n in text.lower().split("x"))
    except ValueError:
        shape = ()
    if len(shape) not in (2, 3) or any(n <= 0 for n in shape):
        raise argparse.ArgumentTypeError(f"expected HxW or HxWxC with positive sizes, got {text!r}")
    return shape


def digest(pixels):
    """sha256 and per-channel means of decoded pixels, as the output lines carry them."""
    pixels = np.ascontiguousarray(pixels)
    if pixels.ndim == 3:
        means = pixels.reshape(-1, pixels.shape[2]).astype(np.float64).mean(axis=0)
    else:
        means = np.array([pixels.astype(np.float64).mean()])
    return hashlib.sha256(pixels.tobytes()).hexdigest(), [round(float(m), 3) for m in means]


def parse_value(text):
    """A command-line value: JSON if it parses, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


# ---------------------------------------------------------------- JPEG


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise RuntimeError("JPEG needs Pillow: apt-get install -y python3-pil") from None
    return Image


def jpeg_encode(pixels, colorspace, quality=JPEG_QUALITY):
    """Encode as vidgear's simplejpeg.encode_jpeg(quality, colorspace, colorsubsampling='422')."""
    Image = _pil()
    if pixels.dtype != np.uint8:
        raise ValueError("JPEG needs uint8 pixels")
    if colorspace == "GRAY":
        if pixels.ndim == 3 and pixels.shape[2] == 1:
            pixels = pixels[:, :, 0]
        if pixels.ndim != 2:
            raise ValueError("GRAY JPEG needs a one-channel frame")
        image = Image.fromarray(np.ascontiguousarray(pixels), "L")
    else:
        if pixels.ndim != 3 or pixels.shape[2] != 3:
            raise ValueError(f"{colorspace} JPEG needs a three-channel frame")
        rgb = pixels[:, :, ::-1] if colorspace == "BGR" else pixels
        image = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    out = io.BytesIO()
    if colorspace == "GRAY":
        image.save(out, "JPEG", quality=quality)
    else:
        image.save(out, "JPEG", quality=quality, subsampling=JPEG_SUBSAMPLING_422)
    return out.getvalue()


def jpeg_decode(data, colorspace):
    """Decode as vidgear's simplejpeg.decode_jpeg(colorspace); GRAY comes back 2-D."""
    Image = _pil()
    if colorspace not in COLORSPACES:
        raise ProtocolError(f"this peer decodes JPEG as {'/'.join(COLORSPACES)} only, not {colorspace!r}")
    try:
        image = Image.open(io.BytesIO(bytes(data)))
        if image.format != "JPEG":
            raise ProtocolError(f"compressed data is {image.format}, not JPEG")
        image.load()
    except ProtocolError:
        raise
    except Exception as error:
        raise ProtocolError(f"JPEG data does not decode: {error}") from None
    if colorspace == "GRAY":
        return np.asarray(image.convert("L"))
    rgb = np.asarray(image.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1]) if colorspace == "BGR" else rgb


def compression_dict(colorspace):
    """vidgear's defaults: fastdct on, fastupsample off."""
    return {"dct": True, "ups": False, "colorspace": colorspace}


# ---------------------------------------------------------------- sockets


def recv_parts(sock, what):
    try:
        return sock.recv_multipart()
    except zmq.Again:
        raise Timeout(f"no {what} within {sock.rcvtimeo} ms") from None


def send_parts(sock, parts, what):
    try:
        sock.send_multipart(parts)
    except zmq.Again:
        raise Timeout(f"could not send {what} within {sock.sndtimeo} ms") from None


def json_bytes(obj):
    # pyzmq's send_json: json.dumps with its defaults, utf-8.
    return json.dumps(obj).encode("utf8")


def parse_json_object(raw, what):
    try:
        value = json.loads(bytes(raw).decode("utf8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ProtocolError(f"{what} is not utf-8 JSON: {error}") from None
    if not isinstance(value, dict):
        raise ProtocolError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def type_name(value):
    """The Python type name vidgear puts in return_type."""
    return type(value).__name__


# ---------------------------------------------------------------- server


def run_server(cfg, emit, ctx):
    """One vidgear multi-server server; returns 0 or raises Timeout/ProtocolError."""
    if cfg.pattern == 1:
        sock = ctx.socket(zmq.REQ)
        sock.setsockopt(zmq.REQ_RELAXED, 1)
        sock.setsockopt(zmq.REQ_CORRELATE, 1)
    else:
        sock = ctx.socket(zmq.XPUB if cfg.wait_subscriber else zmq.PUB)
        sock.sndhwm = cfg.hwm
        sock.rcvhwm = cfg.hwm
    # Unsent messages (the terminate, above all) get this long to leave on close.
    sock.linger = cfg.timeout_ms
    sock.rcvtimeo = cfg.timeout_ms
    sock.sndtimeo = cfg.timeout_ms
    try:
        sock.connect(f"tcp://{cfg.address}:{cfg.port}")
        if cfg.pattern == 2 and cfg.wait_subscriber:
            # XPUB hears the SUB's subscription: frames sent before it are lost.
            parts = recv_parts(sock, "subscription")
            if not parts or parts[0][:1] != b"\x01":
                raise ProtocolError(f"expected a subscription, got {parts!r}")
        for index in range(cfg.frames):
            pixels = frame_pixels(cfg.height, cfg.width, cfg.channels, cfg.dtype, cfg.port, index)
            sha, means = digest(pixels)
            emit({"kind": "sent", "index": index, "shape": list(pixels.shape), "dtype": str(pixels.dtype),
                  "sha256": sha, "channel_means": means})
            send_parts(sock, frame_message(cfg, pixels, index), f"frame {index}")
            if cfg.pattern == 1:
                parts = recv_parts(sock, f"reply to frame {index}")
                emit(parse_reply(parts, cfg.bidirectional, index))
        terminate = [json_bytes({"terminate_flag": True, "port": cfg.port})]
        if cfg.terminate_empty_part:
            terminate.append(b"")
        send_parts(sock, terminate, "terminate")
        if cfg.pattern == 1:
            # vidgear polls request_timeout // 5 for this answer and goes on without it.
            text = None
            if sock.poll(cfg.terminate_ack_ms, zmq.POLLIN):
                parts = sock.recv_multipart()
                if len(parts) != 1:
                    raise ProtocolError(f"the terminate answer must be one part, got {len(parts)}")
                text = decode_text(parts[0], "the terminate answer")
            emit({"kind": "terminate-ack", "text": text})
    finally:
        sock.close()
    return 0


def frame_message(cfg, pixels, index):
    message = cfg.message
    if cfg.seq_message:
        message = {"seq": index, "port": cfg.port, "text": cfg.message}
    if cfg.jpeg:
        data = jpeg_encode(pixels, cfg.colorspace, cfg.jpeg_quality)
        header = {"port": cfg.port, "terminate_flag": False, "compression": compression_dict(cfg.colorspace),
                  "message": message, "pattern": str(cfg.pattern), "dtype": "", "shape": ""}
    else:
        data = np.ascontiguousarray(pixels).tobytes()
        header = {"port": cfg.port, "terminate_flag": False, "compression": False, "message": message,
                  "pattern": str(cfg.pattern), "dtype": str(pixels.dtype), "shape": list(pixels.shape)}
    corrupt = cfg.corrupt
    if corrupt == "short-data":
        data = data[:-1]
    elif corrupt == "no-port":
        del header["port"]
    elif corrupt == "wrong-pattern":
        header["pattern"] = "2" if cfg.pattern == 1 else "1"
    if corrupt == "bad-json":
        return [b"{not json", data]
    if corrupt == "one-part":
        return [json_bytes(header)]
    return [json_bytes(header), data]


def decode_text(raw, what):
    try:
        return bytes(raw).decode("utf8")
    except UnicodeDecodeError as error:
        raise ProtocolError(f"{what} is not utf-8: {error}") from None


def parse_reply(parts, bidirectional, index):
    """A client's answer to frame `index`, as the output line reports it."""
    if not bidirectional:
        if len(parts) != 1:
            raise ProtocolError(f"the answer to frame {index} must be one part, got {len(parts)}")
        return {"kind": "ack", "index": index, "text": decode_text(parts[0], f"the answer to frame {index}")}
    reply = parse_json_object(parts[0], f"the reply to frame {index}")
    for key in ("return_type", "data"):
        if key not in reply:
            raise ProtocolError(f"the reply to frame {index} lacks {key!r}: {reply!r}")
    record = {"kind": "reply", "index": index, "return_type": reply["return_type"], "data": reply["data"]}
    if "port" in reply:
        record["port"] = reply["port"]
    if reply["return_type"] != "ndarray":
        if len(parts) != 1:
            raise ProtocolError(f"a {reply['return_type']} reply must be one part, got {len(parts)}")
        return record
    if len(parts) != 2:
        raise ProtocolError(f"an ndarray reply must be two parts, got {len(parts)}")
    for key in ("compression", "array_dtype", "array_shape"):
        if key not in reply:
            raise ProtocolError(f"the ndarray reply to frame {index} lacks {key!r}")
    array = decode_pixels(parts[1], reply["compression"], reply["array_dtype"], reply["array_shape"],
                          f"the ndarray reply to frame {index}")
    sha, means = digest(array)
    record.update({"shape": list(array.shape), "dtype": str(array.dtype), "compression": reply["compression"],
                   "sha256": sha, "channel_means": means})
    return record


def decode_pixels(data, compression, dtype, shape, what):
    """Pixels from a frame or a returned array, as vidgear's receiver rebuilds them."""
    if compression is False:
        if not isinstance(dtype, str):
            raise ProtocolError(f"{what}: dtype must be a string, got {dtype!r}")
        try:
            np_dtype = np.dtype(dtype)
        except TypeError:
            raise ProtocolError(f"{what}: {dtype!r} is not a numpy dtype") from None
        if (not isinstance(shape, list) or not shape
                or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)):
            raise ProtocolError(f"{what}: shape must be a non-empty list of sizes, got {shape!r}")
        expected = int(np.prod(shape)) * np_dtype.itemsize
        if len(data) != expected:
            raise ProtocolError(f"{what}: {dtype} {shape} needs {expected} bytes, got {len(data)}")
        return np.frombuffer(bytes(data), dtype=np_dtype).reshape(shape)
    if not isinstance(compression, dict):
        raise ProtocolError(f"{what}: compression must be false or an object, got {compression!r}")
    for key, kind in (("dct", bool), ("ups", bool), ("colorspace", str)):
        if not isinstance(compression.get(key), kind):
            raise ProtocolError(f"{what}: compression.{key} must be a {kind.__name__}, got {compression!r}")
    if dtype != "" or shape != "":
        raise ProtocolError(f"{what}: a JPEG's dtype and shape must be \"\" as vidgear sends them, got {dtype!r}, {shape!r}")
    return jpeg_decode(data, compression["colorspace"])


# ---------------------------------------------------------------- client


def new_device_id():
    """vidgear's system id: 8 characters A-Z0-9."""
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8))


def run_client(cfg, emit, ctx, on_listening=None):
    """One vidgear multi-server client; returns 0 or raises Timeout/ProtocolError."""
    sock = ctx.socket(zmq.REP if cfg.pattern == 1 else zmq.SUB)
    if cfg.pattern == 2:
        sock.sndhwm = cfg.hwm
        sock.rcvhwm = cfg.hwm
        sock.setsockopt(zmq.SUBSCRIBE, b"")
    sock.linger = cfg.timeout_ms  # the last answer gets this long to leave
    sock.sndtimeo = cfg.timeout_ms
    device = new_device_id()
    try:
        ports = []
        for port in cfg.ports:
            sock.bind(f"tcp://{cfg.address}:{port if port else '*'}")
            ports.append(int(sock.getsockopt_string(zmq.LAST_ENDPOINT).rsplit(":", 1)[1]))
        emit({"kind": "listening", "ports": ports})
        if on_listening is not None:
            on_listening(ports)
        running = {port: 0 for port in ports}  # frames seen per port, until it terminates
        deadline = time.monotonic() + cfg.deadline_ms / 1000
        for _ in range(cfg.max_messages):
            if not running:
                return 0
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                raise Timeout(f"servers on ports {sorted(running)} still running after {cfg.deadline_ms} ms")
            sock.rcvtimeo = min(cfg.timeout_ms, left_ms)
            parts = recv_parts(sock, f"message from ports {sorted(running)}")
            header = parse_json_object(parts[0], "a message's first part")
            flag = header.get("terminate_flag")
            if not isinstance(flag, bool):
                raise ProtocolError(f"terminate_flag must be a bool, got {header!r}")
            port = message_port(header, running, ports)
            if flag:
                if cfg.pattern == 1:
                    send_parts(sock, [TERMINATE_ACK.encode("utf8")], "terminate answer")
                emit({"kind": "terminate", "port": header["port"], "parts": len(parts), "keys": sorted(header)})
                del running[port]
                continue
            missing = [key for key in FRAME_KEYS if key not in header]
            if missing:
                raise ProtocolError(f"frame header lacks {missing}: {header!r}")
            if header["pattern"] != str(cfg.pattern):
                raise ProtocolError(f"frame header says pattern {header['pattern']!r}, this is pattern \"{cfg.pattern}\"")
            if len(parts) != 2:
                raise ProtocolError(f"a frame must be two parts (JSON, pixels), got {len(parts)}")
            pixels = decode_pixels(parts[1], header["compression"], header["dtype"], header["shape"],
                                   f"frame {running[port]} of port {port}")
            if cfg.pattern == 1:
                send_parts(sock, client_answer(cfg, device, running[port]), "answer")
            sha, means = digest(pixels)
            emit({"kind": "frame", "port": header["port"], "index": running[port], "pattern": header["pattern"],
                  "shape": list(pixels.shape), "dtype": str(pixels.dtype), "compression": header["compression"],
                  "message": header["message"], "sha256": sha, "channel_means": means, "bytes": len(parts[1]),
                  "extra_keys": sorted(set(header) - set(FRAME_KEYS))})
            running[port] += 1
        raise Timeout(f"servers on ports {sorted(running)} still running after {cfg.max_messages} messages")
    finally:
        sock.close()


def message_port(header, running, ports):
    """The bound port a message's `port` names (an int, or digits as a string)."""
    if "port" not in header:
        raise ProtocolError(f"multi-server messages carry 'port', this one does not: {header!r}")
    value = header["port"]
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProtocolError(f"port must be an integer, got {header['port']!r}")
    if value not in ports:
        raise ProtocolError(f"port {value} is not one this client bound ({ports})")
    if value not in running:
        raise ProtocolError(f"port {value} sent a message after its terminate")
    return value


def client_answer(cfg, device, index):
    """What vidgear's client sends back for a frame."""
    if not cfg.bidirectional:
        return [f"Data received on device: {device} !".encode("utf8")]
    if cfg.return_array is None:
        return [json_bytes({"return_type": type_name(cfg.return_data), "data": cfg.return_data})]
    shape = cfg.return_array
    array = frame_pixels(shape[0], shape[1], shape[2] if len(shape) == 3 else 1, "uint8", 0, index)
    if cfg.jpeg:
        reply = {"return_type": "ndarray", "compression": compression_dict(cfg.colorspace), "array_dtype": "",
                 "array_shape": "", "data": None}
        return [json_bytes(reply), jpeg_encode(array, cfg.colorspace, cfg.jpeg_quality)]
    reply = {"return_type": "ndarray", "compression": False, "array_dtype": str(array.dtype),
             "array_shape": list(array.shape), "data": None}
    return [json_bytes(reply), array.tobytes()]


# ---------------------------------------------------------------- self-test


class Config(argparse.Namespace):
    """Every option with its command-line default, for the self-test."""

    def __init__(self, **kwargs):
        defaults = dict(pattern=1, address="127.0.0.1", timeout_ms=5000, hwm=1, jpeg=False, colorspace="BGR",
                        jpeg_quality=JPEG_QUALITY, bidirectional=False, port=0, frames=3, width=32, height=24,
                        channels=3, dtype="uint8", message=None, seq_message=False, wait_subscriber=False,
                        terminate_ack_ms=None, terminate_empty_part=False, corrupt=None, ports=[0],
                        deadline_ms=20000, max_messages=10000, return_data=None, return_array=None)
        defaults.update(kwargs)
        if defaults["terminate_ack_ms"] is None:
            defaults["terminate_ack_ms"] = defaults["timeout_ms"]
        super().__init__(**defaults)


def run_pair(ctx, client_cfg, server_cfgs):
    """A client and its servers in threads; returns (client result, [server results]).

    A result is (exit code, records, error text)."""
    listening = queue.Queue(maxsize=1)

    def run(fn, cfg, **extra):
        records = []
        try:
            return (fn(cfg, records.append, ctx, **extra), records, "")
        except Timeout as error:
            return (EXIT_TIMEOUT, records, str(error))
        except ProtocolError as error:
            return (EXIT_PROTOCOL, records, str(error))
        except Exception as error:  # reported as a mismatch, not a crash of the self-test
            return (EXIT_ERROR, records, f"{type(error).__name__}: {error}")

    results = {}

    def client_thread():
        results["client"] = run(run_client, client_cfg, on_listening=listening.put)
        if listening.empty():
            listening.put(None)

    threads = [threading.Thread(target=client_thread, daemon=True)]
    threads[0].start()
    ports = listening.get(timeout=10)
    if ports is None:
        threads[0].join(10)
        return results.get("client"), []
    for i, cfg in enumerate(server_cfgs):
        cfg.port = ports[i % len(ports)]
        if cfg.terminate_ack_ms is None:
            cfg.terminate_ack_ms = cfg.timeout_ms

        def server_thread(i=i, cfg=cfg):
            results[i] = run(run_server, cfg)

        threads.append(threading.Thread(target=server_thread, daemon=True))
        threads[-1].start()
    for thread in threads:
        thread.join(30)
        if thread.is_alive():
            raise RuntimeError("a self-test thread outlived its 30 s bound")
    return results["client"], [results[i] for i in range(len(server_cfgs))]


class Check:
    def __init__(self, case):
        self.case = case
        self.failures = []

    def equal(self, what, got, expected):
        if got != expected:
            self.failures.append(f"{what}: got {got!r}, expected {expected!r}")

    def true(self, what, condition):
        if not condition:
            self.failures.append(what)


def kinds(records, kind):
    return [r for r in records if r["kind"] == kind]


def expected_frames(cfg):
    return [digest(frame_pixels(cfg.height, cfg.width, cfg.channels, cfg.dtype, cfg.port, k)) for k in range(cfg.frames)]


def check_stream(check, client, servers, server_cfgs, jpeg=False, tolerance=4.0):
    """Every server's frames reached the client whole, in order, under its port; all terminated."""
    code, records, error = client
    check.equal("client exit", (code, error), (0, ""))
    for (s_code, s_records, s_error), cfg in zip(servers, server_cfgs):
        check.equal(f"server {cfg.port} exit", (s_code, s_error), (0, ""))
        frames = [r for r in kinds(records, "frame") if r["port"] == cfg.port]
        check.equal(f"frames from {cfg.port}", len(frames), cfg.frames)
        for k, (frame, (sha, means)) in enumerate(zip(frames, expected_frames(cfg))):
            shape = [cfg.height, cfg.width] + ([cfg.channels] if cfg.channels > 1 else [])
            check.equal(f"port {cfg.port} frame {k} shape", frame["shape"], shape)
            check.equal(f"port {cfg.port} frame {k} index", frame["index"], k)
            if jpeg:
                check.equal(f"port {cfg.port} frame {k} compression", frame["compression"],
                            compression_dict(cfg.colorspace))
                worst = max(abs(a - b) for a, b in zip(frame["channel_means"], means))
                check.true(f"port {cfg.port} frame {k} JPEG means {frame['channel_means']} vs {means}",
                           worst <= tolerance)
            else:
                check.equal(f"port {cfg.port} frame {k} sha256", frame["sha256"], sha)
                check.equal(f"port {cfg.port} frame {k} bytes", frame["bytes"],
                            cfg.height * cfg.width * cfg.channels * np.dtype(cfg.dtype).itemsize)
            expected = {"seq": k, "port": cfg.port, "text": cfg.message} if cfg.seq_message else cfg.message
            check.equal(f"port {cfg.port} frame {k} message", frame["message"], expected)
        sent = kinds(s_records, "sent")
        check.equal(f"server {cfg.port} sent digests", [r["sha256"] for r in sent],
                    [sha for sha, _ in expected_frames(cfg)])
    terminated = sorted(r["port"] for r in kinds(records, "terminate"))
    check.equal("terminated ports", terminated, sorted(cfg.port for cfg in server_cfgs))


def case_reqrep(ctx):
    check = Check("reqrep: two servers, raw frames, messages, acks, terminate")
    servers_cfg = [Config(pattern=1, frames=4, message="hello"),
                   Config(pattern=1, frames=3, seq_message=True, message="seq", channels=1, dtype="uint16",
                          width=17, height=9)]
    client, servers = run_pair(ctx, Config(pattern=1, ports=[0, 0]), servers_cfg)
    check_stream(check, client, servers, servers_cfg)
    for (_, records, _), cfg in zip(servers, servers_cfg):
        acks = kinds(records, "ack")
        check.equal(f"server {cfg.port} acks", len(acks), cfg.frames)
        check.true(f"server {cfg.port} ack texts {[a['text'] for a in acks]}",
                   all(ACK_PATTERN.match(a["text"]) for a in acks))
        check.equal(f"server {cfg.port} terminate-ack", [r["text"] for r in kinds(records, "terminate-ack")],
                    [TERMINATE_ACK])
    terminates = kinds(client[1], "terminate")
    check.equal("terminate message shape", [(t["parts"], t["keys"]) for t in terminates],
                [(1, ["port", "terminate_flag"])] * 2)
    return check


def case_bidirectional(ctx):
    check = Check("reqrep bidirectional: str, dict, list, int, float, bool, None and ndarray returns")
    for value in ["ok", {"a": [1, 2], "b": None}, [1, "two", 3.5], 42, 2.5, True, None]:
        server_cfg = Config(pattern=1, bidirectional=True, frames=2, message={"q": 1})
        client, servers = run_pair(ctx, Config(pattern=1, bidirectional=True, return_data=value), [server_cfg])
        check_stream(check, client, servers, [server_cfg])
        replies = kinds(servers[0][1], "reply")
        check.equal(f"{value!r} replies", [(r["return_type"], r["data"]) for r in replies],
                    [(type_name(value), value)] * 2)
    for jpeg in (False, True):
        server_cfg = Config(pattern=1, bidirectional=True, frames=2)
        client_cfg = Config(pattern=1, bidirectional=True, return_array=(16, 24, 3), jpeg=jpeg)
        client, servers = run_pair(ctx, client_cfg, [server_cfg])
        check_stream(check, client, servers, [server_cfg])
        replies = kinds(servers[0][1], "reply")
        check.equal(f"ndarray (jpeg={jpeg}) reply count", len(replies), 2)
        for k, reply in enumerate(replies):
            sha, means = digest(frame_pixels(16, 24, 3, "uint8", 0, k))
            check.equal(f"ndarray (jpeg={jpeg}) reply {k} type/shape", (reply["return_type"], reply["shape"]),
                        ("ndarray", [16, 24, 3]))
            if jpeg:
                check.equal(f"ndarray reply {k} compression", reply["compression"], compression_dict("BGR"))
                worst = max(abs(a - b) for a, b in zip(reply["channel_means"], means))
                check.true(f"ndarray JPEG reply {k} means {reply['channel_means']} vs {means}", worst <= 4.0)
            else:
                check.equal(f"ndarray reply {k} sha256", reply["sha256"], sha)
    return check


def case_jpeg(ctx):
    check = Check("JPEG frames: BGR and GRAY, REQ/REP and PUB/SUB")
    for pattern in (1, 2):
        servers_cfg = [Config(pattern=pattern, jpeg=True, frames=3, width=64, height=48, wait_subscriber=True,
                              hwm=1000),
                       Config(pattern=pattern, jpeg=True, colorspace="GRAY", channels=1, frames=2, width=40,
                              height=30, wait_subscriber=True, hwm=1000)]
        client, servers = run_pair(ctx, Config(pattern=pattern, ports=[0, 0], hwm=1000), servers_cfg)
        check_stream(check, client, servers, servers_cfg, jpeg=True)
        for frame in kinds(client[1], "frame"):
            check.equal("JPEG frame dtype", frame["dtype"], "uint8")
    return check


def case_pubsub(ctx):
    check = Check("pubsub: two publishers, raw frames, terminate")
    servers_cfg = [Config(pattern=2, frames=5, message="pub-a", wait_subscriber=True, hwm=1000),
                   Config(pattern=2, frames=4, seq_message=True, dtype="float32", wait_subscriber=True, hwm=1000)]
    client, servers = run_pair(ctx, Config(pattern=2, ports=[0, 0], hwm=1000), servers_cfg)
    check_stream(check, client, servers, servers_cfg)
    for _, records, _ in servers:
        check.equal("a publisher gets no replies", kinds(records, "ack") + kinds(records, "reply"), [])
    return check


def case_terminate_empty_part(ctx):
    check = Check("terminate with an empty second part is accepted and reported")
    for pattern in (1, 2):
        server_cfg = Config(pattern=pattern, frames=1, terminate_empty_part=True, wait_subscriber=True, hwm=1000)
        client, servers = run_pair(ctx, Config(pattern=pattern, hwm=1000), [server_cfg])
        check_stream(check, client, servers, [server_cfg])
        check.equal(f"pattern {pattern} terminate parts", [t["parts"] for t in kinds(client[1], "terminate")], [2])
    return check


def case_corrupt(ctx):
    check = Check("malformed frames are protocol violations (exit 4)")
    for corrupt in CORRUPTIONS:
        server_cfg = Config(pattern=2, frames=1, corrupt=corrupt, wait_subscriber=True, hwm=1000)
        client, servers = run_pair(ctx, Config(pattern=2, hwm=1000), [server_cfg])
        check.equal(f"{corrupt}: client exit", client[0], EXIT_PROTOCOL)
        check.equal(f"{corrupt}: frames accepted", kinds(client[1], "frame"), [])
    # REQ/REP: the client refuses, so the server's wait for an answer times out.
    server_cfg = Config(pattern=1, frames=1, corrupt="short-data", timeout_ms=300)
    client, servers = run_pair(ctx, Config(pattern=1), [server_cfg])
    check.equal("reqrep short-data: client exit", client[0], EXIT_PROTOCOL)
    check.equal("reqrep short-data: server exit", servers[0][0], EXIT_TIMEOUT)
    return check


def case_timeouts(ctx):
    check = Check("bounded waits: no server, no client")
    started = time.monotonic()
    client, _ = run_pair(ctx, Config(pattern=1, timeout_ms=200, deadline_ms=300), [])
    check.equal("client without servers exit", client[0], EXIT_TIMEOUT)
    # A publisher with nobody subscribing: XPUB waits for a subscription, bounded.
    listener = ctx.socket(zmq.REP)  # something to connect to that never subscribes
    listener.linger = 0
    port = listener.bind_to_random_port("tcp://127.0.0.1")
    records = []
    try:
        run_server(Config(pattern=2, wait_subscriber=True, port=port, timeout_ms=200), records.append, ctx)
        check.true("publisher without subscriber returned", False)
    except Timeout:
        pass
    finally:
        listener.close()
    check.true("timeouts took under 5 s", time.monotonic() - started < 5)
    return check


SELF_TEST_CASES = (case_reqrep, case_bidirectional, case_jpeg, case_pubsub, case_terminate_empty_part,
                   case_corrupt, case_timeouts)


def self_test(emit):
    ctx = zmq.Context()
    failed = 0
    try:
        for case in SELF_TEST_CASES:
            check = case(ctx)
            emit({"kind": "self-test", "case": check.case, "ok": not check.failures})
            for failure in check.failures:
                print(f"self-test {check.case}: {failure}", file=sys.stderr)
            failed += bool(check.failures)
    finally:
        ctx.term()
    return EXIT_SELF_TEST if failed else 0


# ---------------------------------------------------------------- command line


def positive(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def non_negative(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def jpeg_quality(text):
    value = int(text)
    if not 10 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be 10..100, got {value}")
    return value


def port_number(text):
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port: {value}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="vidgear_peer.py", description=__doc__.split("\n\n")[0],
        epilog="Exit status: 0 success, 1 error, 2 usage, 3 timeout, 4 protocol violation, 5 self-test mismatch.")
    parser.add_argument("--self-test", action="store_true", help="run both ends against each other and exit")
    modes = parser.add_subparsers(dest="mode", metavar="{server,client}")

    def common(sub):
        sub.add_argument("--pattern", type=int, choices=(1, 2), default=1, help="1 REQ/REP, 2 PUB/SUB (default 1)")
        sub.add_argument("--address", default="127.0.0.1", help="host to connect to / bind on (default 127.0.0.1)")
        sub.add_argument("--timeout-ms", type=positive, default=10000,
                         help="bound on each wait, ZMQ_RCVTIMEO/SNDTIMEO/LINGER (default 10000)")
        sub.add_argument("--hwm", type=non_negative, default=1,
                         help="PUB/SUB send and receive high-water mark (vidgear: 1; 0 = none)")
        sub.add_argument("--jpeg", action="store_true",
                         help="server: JPEG frames; client: JPEG-compress a --return-array")
        sub.add_argument("--colorspace", choices=COLORSPACES, default="BGR",
                         help="JPEG colorspace of the server's frames or the client's --return-array (default BGR)")
        sub.add_argument("--jpeg-quality", type=jpeg_quality, default=JPEG_QUALITY,
                         help="JPEG quality, 10..100 as vidgear allows (default 90)")
        sub.add_argument("--bidirectional", action="store_true",
                         help="REQ/REP only: clients answer with a return_type/data object")

    server = modes.add_parser("server", help="a vidgear multi-server server (connects)")
    common(server)
    server.add_argument("--port", type=port_number, required=True, help="the client's port to connect to; also the frames' port")
    server.add_argument("--frames", type=non_negative, default=3, help="frames to send before terminating (default 3)")
    server.add_argument("--width", type=positive, default=32)
    server.add_argument("--height", type=positive, default=24)
    server.add_argument("--channels", type=int, choices=(1, 3, 4), default=3, help="1 gives 2-D [h, w] frames")
    server.add_argument("--dtype", choices=DTYPES, default="uint8", help="raw frames' numpy dtype (default uint8)")
    server.add_argument("--message", type=parse_value, default=None,
                        help="message sent with each frame: JSON if it parses, else the string (default null)")
    server.add_argument("--seq-message", action="store_true",
                        help='send {"seq": k, "port": P, "text": MESSAGE} as the message of frame k')
    server.add_argument("--wait-subscriber", action="store_true",
                        help="PUB/SUB: use XPUB and send nothing before the first subscription arrives")
    server.add_argument("--terminate-ack-ms", type=non_negative, default=None,
                        help="REQ/REP: how long to wait for the terminate's answer (default --timeout-ms)")
    server.add_argument("--terminate-empty-part", action="store_true",
                        help="send the terminate with an empty second part (vidgear sends one part)")
    server.add_argument("--corrupt", choices=CORRUPTIONS, default=None,
                        help="break every frame this way, to test a receiver's checks")

    client = modes.add_parser("client", help="a vidgear multi-server client (binds)")
    common(client)
    client.add_argument("--ports", type=port_number, nargs="+", required=True,
                        help="ports to bind, one per server (0: any free port; see the listening line)")
    client.add_argument("--deadline-ms", type=positive, default=60000,
                        help="bound on the whole run (default 60000)")
    client.add_argument("--max-messages", type=positive, default=10000,
                        help="bound on messages received (default 10000)")
    returned = client.add_mutually_exclusive_group()
    returned.add_argument("--return-data", type=parse_value, default=None,
                          help="bidirectional: data to return, JSON if it parses, else the string (default null)")
    returned.add_argument("--return-array", type=parse_shape, default=None, metavar="HxWxC",
                          help="bidirectional: return the uint8 frame pattern (port 0, k = the answered frame's index for its port) of this shape")
    return parser


def main(argv):
    parser = build_parser()
    args = parser.parse_args(argv)

    def emit(record):
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()

    if args.self_test:
        if args.mode is not None:
            parser.error("--self-test takes no mode")
        return self_test(emit)
    if args.mode is None:
        parser.error("choose a mode: server, client, or --self-test")
    if args.bidirectional and args.pattern != 1:
        parser.error("--bidirectional needs --pattern 1 (vidgear refuses it for PUB/SUB)")
    if args.mode == "server":
        if args.jpeg and args.dtype != "uint8":
            parser.error("--jpeg needs --dtype uint8")
        if args.jpeg and (args.colorspace == "GRAY") != (args.channels == 1):
            parser.error("--jpeg: GRAY needs --channels 1, BGR/RGB need --channels 3")
        if args.terminate_ack_ms is None:
            args.terminate_ack_ms = args.timeout_ms
        if args.wait_subscriber and args.pattern != 2:
            parser.error("--wait-subscriber needs --pattern 2")
    elif args.mode == "client":
        if args.return_array is not None and args.jpeg:
            shape = args.return_array
            if (args.colorspace == "GRAY") != (len(shape) == 2 or shape[2] == 1):
                parser.error("--return-array with --jpeg: GRAY needs HxW, BGR/RGB need HxWx3")
            if args.colorspace != "GRAY" and len(shape) == 3 and shape[2] != 3:
                parser.error("--return-array with --jpeg: BGR/RGB need HxWx3")
        if (args.return_data is not None or args.return_array is not None) and not args.bidirectional:
            parser.error("--return-data and --return-array need --bidirectional")
    if args.jpeg:
        try:
            _pil()
        except RuntimeError as error:
            print(f"vidgear_peer: {error}", file=sys.stderr)
            return EXIT_ERROR
    ctx = zmq.Context()
    try:
        if args.mode == "server":
            return run_server(args, emit, ctx)
        return run_client(args, emit, ctx)
    except Timeout as error:
        print(f"vidgear_peer {args.mode}: timeout: {error}", file=sys.stderr)
        return EXIT_TIMEOUT
    except ProtocolError as error:
        print(f"vidgear_peer {args.mode}: protocol violation: {error}", file=sys.stderr)
        return EXIT_PROTOCOL
    except zmq.ZMQError as error:
        print(f"vidgear_peer {args.mode}: ZeroMQ error: {error}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        ctx.term()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
