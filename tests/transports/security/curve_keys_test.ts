import assert from "node:assert/strict";
import { join } from "node:path";
import { curveKeyPair } from "zeromq";
import { CurveKeyError } from "../../../transports/security/errors.ts";
import {
  decodeZ85,
  encodeZ85,
  generateKeys,
  isCurveKey,
  keyFiles,
  loadAuthorizedKeys,
  loadKeyPair,
  loadPublicKey,
  parseCertificate,
} from "../../../transports/security/curve_keys.ts";

const posix = Deno.build.os !== "windows";
const PYTHON = "/usr/bin/python3";

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "actorgear-keys-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function modeOf(path: string): number {
  return Deno.statSync(path).mode! & 0o777;
}

function isKeyError(code: string, path?: string): (error: unknown) => boolean {
  return (error) =>
    error instanceof CurveKeyError && error.code === code &&
    (path === undefined || error.path === path) && error.message.startsWith("Cannot ");
}

async function pythonCanRun(): Promise<boolean> {
  const permission = await Deno.permissions.query({ name: "run", command: PYTHON });
  if (permission.state !== "granted") return false;
  try {
    return (await Deno.stat(PYTHON)).isFile;
  } catch {
    return false;
  }
}

Deno.test("Z85 encodes RFC 32's test vector and round-trips a CURVE key", () => {
  const vector = new Uint8Array([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
  assert.equal(encodeZ85(vector), "HelloWorld");
  assert.deepEqual(decodeZ85("HelloWorld"), vector);
  const { publicKey } = curveKeyPair();
  const bytes = decodeZ85(publicKey);
  assert.equal(bytes.length, 32);
  assert.equal(encodeZ85(bytes), publicKey);
  assert.ok(isCurveKey(publicKey));
  assert.ok(!isCurveKey(publicKey.slice(1)));
  assert.ok(!isCurveKey(publicKey.slice(1) + "~"), "~ is not a Z85 character");
  assert.ok(!isCurveKey("#".repeat(40)), "each group exceeds 32 bits");
  assert.throws(() => decodeZ85("Hello"[0]), RangeError);
  assert.throws(() => encodeZ85(new Uint8Array(3)), RangeError);
});

Deno.test("generateKeys writes the client and server pairs and the loaders read them back", async () => {
  await withDir(async (dir) => {
    const written = await generateKeys(dir, { servers: ["server", "server-cam1"] });
    assert.deepEqual(written.map((key) => key.name), ["client", "server", "server-cam1"]);
    assert.equal(new Set(written.map((key) => key.publicKey)).size, 3);
    for (const key of written) {
      assert.deepEqual(
        { publicKeyFile: key.publicKeyFile, secretKeyFile: key.secretKeyFile },
        keyFiles(dir, key.name),
      );
      const pair = await loadKeyPair(dir, key.name);
      assert.equal(pair.publicKey, key.publicKey);
      assert.ok(isCurveKey(pair.secretKey));
      assert.notEqual(pair.secretKey, pair.publicKey);
      assert.equal(await loadPublicKey(dir, key.name), key.publicKey);
      // A public file must not carry the secret.
      assert.ok(!(await Deno.readTextFile(key.publicKeyFile)).includes(pair.secretKey));
    }
    assert.equal(written[1].publicKeyFile, join(dir, "public_keys", "server.key"));
    assert.equal(written[0].secretKeyFile, join(dir, "private_keys", "client.key_secret"));
    const authorised = await loadAuthorizedKeys(dir);
    assert.deepEqual(authorised, new Set([written[1].publicKey, written[2].publicKey]));
  });
});

Deno.test({
  name: "generateKeys makes secret files 0600 in a 0700 directory, also when overwriting",
  ignore: !posix,
  fn: async () => {
    await withDir(async (dir) => {
      // A pre-existing private directory with loose permissions is tightened.
      await Deno.mkdir(join(dir, "private_keys"), { mode: 0o755 });
      Deno.chmodSync(join(dir, "private_keys"), 0o755);
      const written = await generateKeys(dir);
      assert.equal(modeOf(join(dir, "private_keys")), 0o700);
      for (const key of written) {
        assert.equal(modeOf(key.secretKeyFile), 0o600, key.secretKeyFile);
        assert.equal(
          modeOf(key.publicKeyFile) & 0o022,
          0,
          "public files are not writable by others",
        );
      }
      // Overwriting must not keep an old file's looser mode.
      Deno.chmodSync(written[0].secretKeyFile, 0o644);
      const again = await generateKeys(dir, { overwrite: true });
      assert.equal(modeOf(again[0].secretKeyFile), 0o600);
      assert.equal(modeOf(join(dir, "private_keys")), 0o700);
      const leftovers = [...Deno.readDirSync(join(dir, "private_keys"))].map((e) => e.name);
      assert.deepEqual(leftovers.sort(), ["client.key_secret", "server.key_secret"]);
    });
  },
});

Deno.test("generateKeys refuses to overwrite existing keys without overwrite, and replaces them with it", async () => {
  await withDir(async (dir) => {
    const first = await generateKeys(dir);
    const before = await Deno.readTextFile(first[0].secretKeyFile);
    await assert.rejects(
      generateKeys(dir),
      (error) =>
        isKeyError("exists")(error) && /--overwrite/.test((error as Error).message) &&
        (error as Error).message.includes(first[0].publicKeyFile),
    );
    // Nothing was touched, including the files of a new server name.
    assert.equal(await Deno.readTextFile(first[0].secretKeyFile), before);
    await assert.rejects(generateKeys(dir, { servers: ["server", "extra"] }), isKeyError("exists"));
    await assert.rejects(Deno.stat(keyFiles(dir, "extra").publicKeyFile), Deno.errors.NotFound);

    const second = await generateKeys(dir, { overwrite: true });
    assert.notEqual(second[0].publicKey, first[0].publicKey);
    assert.equal((await loadKeyPair(dir, "client")).publicKey, second[0].publicKey);
  });
});

Deno.test("generateKeys rejects bad, repeated or reserved server names before writing", async () => {
  await withDir(async (dir) => {
    await assert.rejects(generateKeys(dir, { servers: ["../evil"] }), TypeError);
    await assert.rejects(generateKeys(dir, { servers: ["client"] }), TypeError);
    await assert.rejects(generateKeys(dir, { servers: ["a", "a"] }), TypeError);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("loaders fail with typed errors: missing dir or file, unreadable, malformed, insecure", async () => {
  await withDir(async (dir) => {
    const missing = join(dir, "nope");
    await assert.rejects(loadKeyPair(missing, "client"), isKeyError("not-found", missing));
    await assert.rejects(loadAuthorizedKeys(missing), isKeyError("not-found", missing));
    await Deno.mkdir(join(dir, "public_keys"));
    await assert.rejects(
      loadPublicKey(dir, "client"),
      isKeyError("not-found", keyFiles(dir, "client").publicKeyFile),
    );
    await assert.rejects(loadAuthorizedKeys(dir), isKeyError("not-found"), "empty allow-list");

    const [, server] = await generateKeys(dir);
    // A directory where a file should be cannot be read, whoever runs the test.
    const { publicKeyFile } = keyFiles(dir, "cam2");
    await Deno.mkdir(publicKeyFile);
    await assert.rejects(loadPublicKey(dir, "cam2"), isKeyError("unreadable", publicKeyFile));
    await assert.rejects(loadAuthorizedKeys(dir), isKeyError("unreadable", publicKeyFile));
    await Deno.remove(publicKeyFile);

    const bad = keyFiles(dir, "cam3").publicKeyFile;
    await Deno.writeTextFile(bad, `curve\n    public-key = "${server.publicKey.slice(1)}"\n`);
    await assert.rejects(
      loadAuthorizedKeys(dir),
      (error) => isKeyError("malformed", bad)(error) && /39 characters/.test(String(error)),
      "one bad file fails the whole allow-list rather than being skipped",
    );
    await Deno.writeTextFile(bad, `curve\n    public-key = "${"~".repeat(40)}"\n`);
    await assert.rejects(loadPublicKey(dir, "cam3"), isKeyError("malformed", bad));
    await Deno.writeTextFile(bad, "# nothing here\n");
    await assert.rejects(loadPublicKey(dir, "cam3"), isKeyError("malformed", bad));
    await Deno.remove(bad);

    // A public file is not a key pair.
    const client = keyFiles(dir, "client");
    await Deno.copyFile(client.publicKeyFile, join(dir, "private_keys", "pub.key_secret"));
    Deno.chmodSync(join(dir, "private_keys", "pub.key_secret"), 0o600);
    await assert.rejects(loadKeyPair(dir, "pub"), isKeyError("malformed"));
    if (posix) {
      Deno.chmodSync(client.secretKeyFile, 0o640);
      await assert.rejects(
        loadKeyPair(dir, "client"),
        (error) =>
          isKeyError("insecure", client.secretKeyFile)(error) && /chmod 600/.test(String(error)),
      );
    }
  });
});

Deno.test("loadAuthorizedKeys ignores other files and honours exclude", async () => {
  await withDir(async (dir) => {
    const [client, server] = await generateKeys(dir);
    await Deno.writeTextFile(join(dir, "public_keys", "README.txt"), "not a key");
    assert.deepEqual(await loadAuthorizedKeys(dir), new Set([server.publicKey]));
    assert.deepEqual(
      await loadAuthorizedKeys(dir, { exclude: ["server"] }),
      new Set([client.publicKey]),
    );
  });
});

Deno.test("parseCertificate reads pyzmq's quoting and CRLF line ends", () => {
  const { publicKey, secretKey } = curveKeyPair();
  const text = `#   ZeroMQ CURVE **Secret** Certificate\r\nmetadata\r\ncurve\r\n` +
    `    public-key = '${publicKey}'\r\n    secret-key = "${secretKey}"\r\n`;
  assert.deepEqual(parseCertificate(text, "inline"), { publicKey, secretKey });
  assert.throws(
    () => parseCertificate(`# public-key = "${publicKey}"\n`, "inline"),
    isKeyError("malformed", "inline"),
    "a commented-out key does not count",
  );
});

Deno.test({
  name: "key files interoperate with pyzmq's zmq.auth certificates both ways",
  ignore: !(await pythonCanRun()),
  fn: async () => {
    await withDir(async (dir) => {
      const [client] = await generateKeys(dir);
      const script = `
import os, sys, zmq.auth
pub, sec = zmq.auth.load_certificate(sys.argv[1] + "/private_keys/client.key_secret")
print(pub.decode(), sec.decode())
print(len(zmq.auth.load_certificates(sys.argv[1] + "/public_keys")))
os.mkdir(sys.argv[1] + "/py")
zmq.auth.create_certificates(sys.argv[1] + "/py", "cam9")
`;
      const { code, stdout, stderr } = await new Deno.Command(PYTHON, {
        args: ["-c", script, dir],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      const [keys, count] = new TextDecoder().decode(stdout).trim().split("\n");
      const ours = await loadKeyPair(dir, "client");
      assert.equal(keys, `${client.publicKey} ${ours.secretKey}`);
      assert.equal(count, "2");
      const theirs = parseCertificate(
        await Deno.readTextFile(join(dir, "py", "cam9.key_secret")),
        "pyzmq",
      );
      assert.ok(isCurveKey(theirs.publicKey) && isCurveKey(theirs.secretKey));
      assert.equal(
        parseCertificate(await Deno.readTextFile(join(dir, "py", "cam9.key")), "pyzmq").publicKey,
        theirs.publicKey,
      );
    });
  },
});
