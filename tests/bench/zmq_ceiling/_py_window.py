"""The measurement window and the live pacing of ../_window.mjs, for the
raw pyzmq peers (py_multi_client.py, py_multi_server.py), so their figures
are counted as the Deno and Node peers' are: the same phases (waiting until
every port delivered, warm-up, window), the same fields in the `result`
line, the same nearest-rank percentiles, the same pacing slots.

Clock: milliseconds since the epoch (CLOCK_REALTIME), as Deno's and Node's
performance.timeOrigin + performance.now() are. Sender and receiver are
both Python in every pyzmq run, so both read the same system clock.

Python has no event loop here: the receiving loop asks `timeout_ms()` how
long it may block in zmq.Poller.poll() and calls `advance()` after every
wake-up, which is when the window's phases turn over.
"""

import json
import math
import os
import time

def now_ms():
    """Milliseconds since the epoch, the clock of every sentAt."""
    return time.time_ns() / 1e6


def percentile(sorted_values, q):
    """The value at quantile q of sorted values (nearest rank), or NaN."""
    if not sorted_values:
        return math.nan
    rank = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[rank]


def rss_mb():
    """Resident set size now (as Node's process.memoryUsage().rss), MB."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return math.nan


def emit(line):
    """One JSON line on stdout, NaN as null (JSON.parse rejects NaN)."""
    clean = {
        key: (None if isinstance(value, float) and math.isnan(value) else value)
        for key, value in line.items()
    }
    print(json.dumps(clean), flush=True)


class Window:
    """Counts what arrives on a fixed set of ports over a timed window."""

    def __init__(self, ports, warmup_ms, window_ms, capacity=1 << 18):
        self.ports = ports
        self.warmup_ms = warmup_ms
        self.window_ms = window_ms
        self.capacity = capacity
        self.phase = "waiting"
        self.last_seq = [-1] * ports
        self.seen = 0
        self.port_frames = [0] * ports
        self.latency = []
        self.frames = 0
        self.bytes = 0
        self.lost = 0
        self.started_at = 0.0
        self.cpu0 = 0.0
        # When the current phase (warm-up or window) ends.
        self.deadline = math.inf

    def record(self, port, seq, sent_at, nbytes):
        """Records one arrival on port (index from 0)."""
        last = self.last_seq[port]
        self.last_seq[port] = seq
        if self.phase == "measuring":
            t = now_ms()
            if last >= 0 and seq > last + 1:
                self.lost += seq - last - 1
            self.frames += 1
            self.port_frames[port] += 1
            self.bytes += nbytes
            if len(self.latency) < self.capacity:
                self.latency.append(t - sent_at)
            return
        if self.phase == "waiting" and last < 0:
            self.seen += 1
            if self.seen == self.ports:
                self.phase = "warmup"
                self.deadline = now_ms() + self.warmup_ms

    def timeout_ms(self, cap=100):
        """How long the loop may block before a phase is due to end, ms."""
        left = self.deadline - now_ms()
        return cap if left >= cap else max(0, math.ceil(left))

    def advance(self):
        """Turns the phase over when due: returns "window" as the window
        begins, the result dict as it ends, None otherwise."""
        t = now_ms()
        if t < self.deadline:
            return None
        if self.phase == "warmup":
            self.phase = "measuring"
            self.cpu0 = time.process_time()
            self.started_at = t
            self.deadline = t + self.window_ms
            return "window"
        if self.phase == "measuring":
            self.phase = "done"
            self.deadline = math.inf
            return self.result(t)
        return None

    def result(self, t):
        """The window's figures, with the keys of _window.mjs's WindowResult."""
        ms = t - self.started_at
        seconds = ms / 1000
        cpu_ms = (time.process_time() - self.cpu0) * 1000
        latency = sorted(self.latency)
        sent = self.frames + self.lost
        return {
            "frames": self.frames,
            "seconds": seconds,
            "fps": self.frames / seconds,
            "mbps": self.bytes / 1e6 / seconds,
            "p50": percentile(latency, 0.5),
            "p99": percentile(latency, 0.99),
            "max": latency[-1] if latency else math.nan,
            # pyzmq gives no transport-side receive time.
            "netP50": math.nan,
            "netP99": math.nan,
            "lost": self.lost,
            "lostPct": 100 * self.lost / sent if sent else 0,
            "cpuPct": cpu_ms / ms * 100,
            "rssMB": rss_mb(),
            "perPortFps": [n / seconds for n in self.port_frames],
        }


class Pacer:
    """Paces a live sender as _window.mjs's Pacer does: frame k is due at
    start + k / fps, from one start time, so late wake-ups do not add up
    (no drift); a sender more than a whole interval behind skips the slots
    it missed, as a camera drops frames, and counts them in `skipped`."""

    def __init__(self, fps, start=None):
        self.interval = 1000 / fps
        self.start = now_ms() if start is None else start
        self.slot = 0
        self.skipped = 0

    def next(self, t=None):
        """After a send: when the next frame is due, ms (past: send at once)."""
        t = now_ms() if t is None else t
        self.slot += 1
        due = math.floor((t - self.start) / self.interval)
        if due > self.slot:
            self.skipped += due - self.slot
            self.slot = due
        return self.start + self.slot * self.interval
