// A Worker stage for the tests: inverts every byte of the frame in place
// (the frame is the Worker's own) and throws on items whose message is "throw".

import { serveProcessor } from "../../../../actors/processing/worker.ts";

serveProcessor((options) => {
  const { tag } = (options ?? {}) as { tag?: string };
  return {
    name: "invert",
    process(item, context) {
      if (item.message === "throw") throw new RangeError(`cannot invert ${item.seq}`);
      if (item.frame === undefined) return { data: { tag } };
      const frame = context.writableFrame(item.frame);
      const data = frame.data;
      for (let i = 0; i < data.length; i++) data[i] = 255 - data[i];
      return { frame, data: { inverted: frame === item.frame, tag, seenBefore: item.data.before } };
    },
  };
});
