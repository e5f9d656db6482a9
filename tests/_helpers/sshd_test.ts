import "./preload_native.ts";
/**
 * The SSH harness end to end: a real sshd on 127.0.0.1, tunnels through it
 * carrying a ZeroMQ REQ/REP round trip and a TCP echo, refused when the host
 * key or the user key is wrong, and nothing left behind once disposed.
 *
 * Needs Debian's openssh-server and openssh-client, and `--allow-run
 * --allow-read --allow-write --allow-env --allow-sys --allow-ffi
 * --allow-net=127.0.0.1`.
 */
import assert from "node:assert/strict";
import { ZmqSocket } from "../../transports/zmq/zmq_socket.ts";
import { NO_SSHD, openSshTunnel, requireSshd, startSshd, strangerKey } from "./sshd.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Fails a wait that should have ended long before. */
const deadline = (): AbortSignal => AbortSignal.timeout(15_000);

const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({
    name,
    ignore: NO_SSHD,
    async fn() {
      requireSshd();
      await fn();
    },
  });

/** Reads exactly `size` bytes from `conn`, bounded by its size (each read returns at least one). */
async function readExactly(conn: Deno.Conn, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let filled = 0;
  for (let reads = 0; filled < size && reads < size; reads++) {
    const n = await conn.read(out.subarray(filled));
    if (n === null) throw new Error(`connection closed after ${filled} of ${size} bytes`);
    filled += n;
  }
  return out;
}

/** Writes all of `data`, bounded by its size (each write takes at least one byte). */
async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let written = 0;
  for (let writes = 0; written < data.length && writes < data.length; writes++) {
    written += await conn.write(data.subarray(written));
  }
}

test("startSshd: a ZeroMQ REQ/REP round trip goes through an SSH tunnel", async () => {
  await using sshd = await startSshd();
  await using rep = new ZmqSocket("rep");
  await rep.bind("tcp://127.0.0.1:*");
  const repPort = Number(rep.lastEndpoint!.split(":").at(-1));
  await using tunnel = await openSshTunnel(sshd, repPort);
  assert.notEqual(tunnel.localPort, repPort);
  assert.equal(tunnel.remotePort, repPort);

  await using req = new ZmqSocket("req");
  req.connect(`tcp://127.0.0.1:${tunnel.localPort}`);
  const big = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 7) % 253);
  for (const [index, payload] of [encoder.encode("hello"), big].entries()) {
    await req.send([encoder.encode(`request ${index}`), payload], { signal: deadline() });
    const [label, data] = await rep.receive({ signal: deadline() });
    assert.equal(decoder.decode(label), `request ${index}`);
    assert.deepEqual(new Uint8Array(data), payload);
    await rep.send([encoder.encode(`reply ${index}`), data.slice().reverse()], {
      signal: deadline(),
    });
    const [replyLabel, reply] = await req.receive({ signal: deadline() });
    assert.equal(decoder.decode(replyLabel), `reply ${index}`);
    assert.deepEqual(new Uint8Array(reply), payload.slice().reverse());
  }
  // The bytes crossed sshd: it authenticated the key and opened the forward.
  assert.match(sshd.log(), new RegExp(`Accepted publickey for ${sshd.user} from 127\\.0\\.0\\.1`));
  assert.match(tunnel.log(), /Authenticated to 127\.0\.0\.1/);
});

test("openSshTunnel: a TCP echo comes back intact, and the tunnel stops accepting once closed", async () => {
  await using sshd = await startSshd();
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const echoed = (async () => {
    using conn = await listener.accept();
    const buffer = new Uint8Array(16 * 1024);
    for (let reads = 0; reads < 100_000; reads++) {
      const n = await conn.read(buffer);
      if (n === null) return; // the client half-closed: closing ends the echo
      await writeAll(conn, buffer.subarray(0, n));
    }
  })();
  const tunnel = await openSshTunnel(sshd, listener.addr.port);
  try {
    const payload = crypto.getRandomValues(new Uint8Array(64 * 1024));
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: tunnel.localPort });
    const [, back] = await Promise.all([
      writeAll(conn, payload),
      readExactly(conn, payload.length),
    ]);
    assert.deepEqual(back, payload);
    await conn.closeWrite();
    assert.equal(
      await conn.read(new Uint8Array(1)),
      null,
      "the echo ends when the client's side does",
    );
    await echoed;
  } finally {
    await tunnel.close();
  }
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: tunnel.localPort }),
    Deno.errors.ConnectionRefused,
  );
});

test("openSshTunnel: refuses a server whose host key is not the known one", async () => {
  await using sshd = await startSshd();
  // A known_hosts naming this server with another key (the user's own).
  const otherKey = (await Deno.readTextFile(`${sshd.identityFile}.pub`)).trim().split(/\s+/);
  const wrongKnownHosts = `${sshd.dir}/wrong_known_hosts`;
  await Deno.writeTextFile(
    wrongKnownHosts,
    `[127.0.0.1]:${sshd.port} ${otherKey[0]} ${otherKey[1]}\n`,
  );
  await assert.rejects(
    openSshTunnel(sshd, sshd.port, { knownHostsFile: wrongKnownHosts }),
    /Host key verification failed/,
  );
});

test("openSshTunnel: refuses a user key not in authorized_keys", async () => {
  await using sshd = await startSshd();
  const stranger = await strangerKey(sshd);
  await assert.rejects(
    openSshTunnel(sshd, sshd.port, { identityFile: stranger }),
    /Permission denied \(publickey\)/,
  );
});

test("startSshd: its host key is the one pinned, and closing stops it and removes its directory", async () => {
  const sshd = await startSshd();
  try {
    assert.match(sshd.hostKeyFingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    const pinned = await Deno.readTextFile(sshd.knownHostsFile);
    assert.match(pinned, new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 \\S+\\n$`));
    // The fingerprint is the pinned key's.
    const out = await new Deno.Command("ssh-keygen", {
      args: ["-l", "-f", sshd.knownHostsFile],
      stdin: "null",
    }).output();
    assert.ok(decoder.decode(out.stdout).includes(sshd.hostKeyFingerprint));
    // The server answers with an SSH banner.
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: sshd.port });
    const banner = decoder.decode(await readExactly(conn, 8));
    assert.equal(banner, "SSH-2.0-");
  } finally {
    await sshd.close();
  }
  await sshd.close(); // a second close is harmless
  await assert.rejects(Deno.stat(sshd.dir), Deno.errors.NotFound);
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: sshd.port }),
    Deno.errors.ConnectionRefused,
  );
});
