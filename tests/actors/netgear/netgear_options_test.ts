import assert from "node:assert/strict";
import { resolveOptions } from "../../../actors/netgear/_resolve_options.ts";
import { ConfigurationError, type NetGearOptions } from "../../../actors/netgear/mod.ts";

function refusal(options: unknown): ConfigurationError {
  try {
    resolveOptions(options as NetGearOptions);
  } catch (error) {
    assert.ok(error instanceof ConfigurationError, `expected ConfigurationError, got ${error}`);
    assert.ok(error instanceof TypeError, "a configuration error is a TypeError");
    return error;
  }
  assert.fail(`options ${JSON.stringify(options)} were accepted`);
}

const client = { receiveMode: true, multiserverMode: true, port: [5566, 5567] } as const;

Deno.test("resolveOptions() fills vidgear's defaults for a multi-server client", () => {
  const resolved = resolveOptions(client);
  assert.deepEqual(resolved.ports, [5566, 5567]);
  assert.equal(resolved.pattern, 1);
  assert.equal(resolved.address, "127.0.0.1");
  assert.equal(resolved.requestTimeout, 4000);
  assert.equal(resolved.maxRetries, 3);
  assert.equal(resolved.bidirectionalMode, false);
});

Deno.test("resolveOptions() accepts vidgear's string ports for a server", () => {
  const resolved = resolveOptions({ multiserverMode: true, port: "5566" as unknown as number });
  assert.deepEqual(resolved.ports, [5566]);
});

Deno.test("resolveOptions() refuses patterns other than 1 and 2 in multi-server mode", () => {
  for (const pattern of [0, 3, -1]) {
    const error = refusal({ ...client, pattern });
    assert.equal(error.option, "pattern");
    assert.match(
      error.message,
      /option "pattern" is -?\d; expected 1 \(REQ\/REP\) or 2 \(PUB\/SUB\)/,
    );
  }
  assert.equal(resolveOptions({ port: 5555, pattern: 0 }).pattern, 0, "PAIR is fine in plain mode");
});

Deno.test("resolveOptions() refuses multi-server and multi-client modes together", () => {
  const error = refusal({ ...client, multiclientMode: true });
  assert.match(error.message, /multiserverMode and multiclientMode cannot be enabled together/);
});

Deno.test("resolveOptions() wants a non-empty list of distinct ports for a multi-server client", () => {
  assert.match(
    refusal({ ...client, port: 5566 }).message,
    /non-empty list of every server's distinct port/,
  );
  assert.match(refusal({ ...client, port: [] }).message, /non-empty list/);
  assert.match(refusal({ ...client, port: [5566, 5566] }).message, /5566 appears more than once/);
  assert.match(
    refusal({ ...client, port: [5566, 70000] }).message,
    /integers from 1 to 65535 \(got 70000\)/,
  );
});

Deno.test("resolveOptions() wants exactly one port for a server", () => {
  const error = refusal({ multiserverMode: true, port: [5566, 5567] });
  assert.equal(error.option, "port");
  assert.match(error.message, /one port for a server/);
});

Deno.test("resolveOptions() suggests the camelCase name for a vidgear option", () => {
  const error = refusal({ ...client, multiserver_mode: true });
  assert.equal(error.option, "multiserver_mode");
  assert.match(
    error.message,
    /unknown option "multiserver_mode"; did you mean "multiserverMode"\?/,
  );
  assert.match(
    refusal({ ...client, bidirectional_mode: true }).message,
    /did you mean "bidirectionalMode"/,
  );
  assert.doesNotMatch(refusal({ ...client, zzzzzz: 1 }).message, /did you mean/);
});

Deno.test("resolveOptions() refuses bidirectional mode with PUB/SUB", () => {
  const error = refusal({ ...client, pattern: 2, bidirectionalMode: true });
  assert.equal(error.option, "bidirectionalMode");
  assert.match(error.message, /needs pattern 1 \(REQ\/REP\)/);
});

Deno.test("resolveOptions() refuses values of the wrong type or out of range", () => {
  assert.match(
    refusal({ ...client, requestTimeout: -5 }).message,
    /"requestTimeout" is -5; expected an integer from 50/,
  );
  assert.match(refusal({ ...client, maxRetries: 1.5 }).message, /"maxRetries" is 1.5/);
  assert.match(
    refusal({ ...client, logging: "yes" }).message,
    /"logging" is "yes"; expected true or false/,
  );
  assert.match(
    refusal({ ...client, protocol: "udp" }).message,
    /"protocol" is "udp"; expected "tcp"/,
  );
  assert.match(refusal({ ...client, address: "" }).message, /"address"/);
  assert.match(
    refusal({ ...client, heartbeatInterval: 1000, livenessTimeout: 1500 }).message,
    /more than twice heartbeatInterval/,
  );
});

const pubServer = { multiserverMode: true, port: 5566, pattern: 2 } as const;

Deno.test("resolveOptions() gives a PUB server a subscriberTimeout of requestTimeout x (maxRetries + 1) and whenNoSubscriber reject", () => {
  const resolved = resolveOptions({ ...pubServer, requestTimeout: 500, maxRetries: 2 });
  assert.equal(resolved.subscriberTimeout, 1500, "as long as a REQ server takes to give up");
  assert.equal(resolved.whenNoSubscriber, "reject");
  // Capped at the option's own limit, a day.
  assert.equal(
    resolveOptions({ ...pubServer, requestTimeout: 3_600_000, maxRetries: 1000 }).subscriberTimeout,
    86_400_000,
  );
});

Deno.test("resolveOptions() takes subscriberTimeout 0 on a server but keeps a client's liveness meaning", () => {
  const server = resolveOptions({ ...pubServer, subscriberTimeout: 0, whenNoSubscriber: "drop" });
  assert.equal(server.subscriberTimeout, 0);
  assert.equal(server.whenNoSubscriber, "drop");
  assert.equal(
    server.livenessTimeout,
    5000,
    "a server's subscriberTimeout is not a liveness timeout",
  );
  const pubClient = resolveOptions({ ...client, pattern: 2, subscriberTimeout: 3000 });
  assert.equal(pubClient.livenessTimeout, 3000);
  const error = refusal({ ...client, pattern: 2, subscriberTimeout: 0 });
  assert.equal(error.option, "subscriberTimeout");
  assert.match(error.message, /"subscriberTimeout" is 0; expected an integer from 50/);
});

Deno.test("resolveOptions() refuses a bad subscriberTimeout or whenNoSubscriber, naming the value and what is valid", () => {
  for (const subscriberTimeout of [-1, 1.5, "100", 86_400_001]) {
    const error = refusal({ ...pubServer, subscriberTimeout });
    assert.equal(error.option, "subscriberTimeout");
    assert.match(error.message, /expected 0 \(never wait\) or an integer from 50 to 86400000/);
  }
  const bad = refusal({ ...pubServer, whenNoSubscriber: "ignore" });
  assert.equal(bad.option, "whenNoSubscriber");
  assert.match(bad.message, /"whenNoSubscriber" is "ignore"; expected "reject" or "drop"/);
  assert.match(
    refusal({ multiserverMode: true, port: 5566, pattern: 1, whenNoSubscriber: "drop" }).message,
    /only a PUB\/SUB server \(pattern 2\) has subscribers/,
  );
  assert.match(
    refusal({ ...client, pattern: 2, whenNoSubscriber: "drop" }).message,
    /unset on a client/,
  );
});

const SECONDS = "milliseconds (vidgear uses seconds: 4 s = 4000)";

Deno.test("resolveOptions() refuses timings too small to be milliseconds, saying vidgear's are seconds", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ ...client, requestTimeout: 4 }, "requestTimeout"],
    [{ ...client, requestTimeout: 49 }, "requestTimeout"],
    [{ ...client, pattern: 2, subscriberTimeout: 5 }, "subscriberTimeout"],
    [{ ...pubServer, subscriberTimeout: 5 }, "subscriberTimeout"],
    [{ ...client, livenessTimeout: 5 }, "livenessTimeout"],
    [{ ...client, heartbeatInterval: 1 }, "heartbeatInterval"],
    [{ ...client, connectTimeout: 12 }, "connectTimeout"],
  ];
  for (const [options, option] of cases) {
    const error = refusal(options);
    assert.equal(error.option, option);
    assert.ok(error.message.includes(SECONDS), error.message);
    assert.match(error.message, new RegExp(`option "${option}" is \\d+; expected`));
  }
  // The floors themselves are fine; 0 means "never wait" on a PUB server.
  assert.equal(resolveOptions({ ...client, requestTimeout: 50 }).requestTimeout, 50);
  assert.equal(resolveOptions({ ...pubServer, subscriberTimeout: 0 }).subscriberTimeout, 0);
  assert.equal(resolveOptions({ ...client, heartbeatInterval: 10 }).heartbeatInterval, 10);
});

Deno.test("resolveOptions() derives heartbeatInterval from livenessTimeout alone, and back", () => {
  const only = resolveOptions({ ...client, livenessTimeout: 2000 });
  assert.equal(only.livenessTimeout, 2000);
  assert.equal(only.heartbeatInterval, 400, "a fifth of livenessTimeout");
  assert.equal(resolveOptions({ ...client, livenessTimeout: 60_000 }).heartbeatInterval, 1000);
  assert.equal(resolveOptions({ ...client, livenessTimeout: 50 }).heartbeatInterval, 10);
  assert.equal(
    resolveOptions({ ...client, pattern: 2, subscriberTimeout: 1500 }).heartbeatInterval,
    300,
    "a PUB client's subscriberTimeout stands for livenessTimeout",
  );
  const server = resolveOptions({ multiserverMode: true, port: 5566, livenessTimeout: 2000 });
  assert.equal(server.heartbeatInterval, 400);
  const slow = resolveOptions({ ...client, heartbeatInterval: 3000 });
  assert.equal(slow.livenessTimeout, 15_000, "five intervals");
  assert.equal(resolveOptions({ ...client, heartbeatInterval: 100 }).livenessTimeout, 5000);
  const both = refusal({ ...client, heartbeatInterval: 1000, livenessTimeout: 2000 });
  assert.equal(both.option, "livenessTimeout");
  assert.match(both.message, /more than twice heartbeatInterval \(1000 ms\)/);
  assert.match(both.message, /give only livenessTimeout/);
});

Deno.test("resolveOptions() takes connectTimeout on a client only; by default a client waits for ever", () => {
  assert.equal(resolveOptions(client).connectTimeout, undefined);
  assert.equal(resolveOptions({ ...client, connectTimeout: 12_000 }).connectTimeout, 12_000);
  const error = refusal({ multiserverMode: true, port: 5566, connectTimeout: 12_000 });
  assert.equal(error.option, "connectTimeout");
  assert.match(error.message, /unset on a server/);
});

Deno.test("resolveOptions() refuses a multi-server server without a port: it is the server's identity", () => {
  const error = refusal({ multiserverMode: true });
  assert.equal(error.option, "port");
  assert.match(error.message, /option "port" is undefined; expected this server's own port/);
  assert.deepEqual(resolveOptions({}).ports, [5555], "plain mode keeps vidgear's 5555");
  assert.deepEqual(resolveOptions({ multiserverMode: true, port: 5566 }).ports, [5566]);
});

Deno.test("resolveOptions() takes every JPEG colourspace vidgear takes but CMYK", () => {
  const server = { multiserverMode: true, port: 5566 } as const;
  assert.deepEqual(resolveOptions({ ...server, jpegCompression: "BGRA" }).jpeg.compress, {
    format: "bgr24",
    layout: "BGRA",
  });
  assert.deepEqual(resolveOptions({ ...server, jpegCompression: "rgba" }).jpeg.compress, {
    format: "rgba",
  });
  const error = refusal({ ...server, jpegCompression: "CMYK" });
  assert.equal(error.option, "jpegCompression");
  assert.match(error.message, /RGBX, BGRX, XBGR, XRGB, BGRA, ABGR, ARGB\); not CMYK/);
});
