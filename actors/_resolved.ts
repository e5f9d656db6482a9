// One settled promise shared by every tell() that needs no waiting, so the hot
// path allocates nothing.
export const RESOLVED: Promise<void> = Promise.resolve();
