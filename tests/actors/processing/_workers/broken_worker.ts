// A Worker stage module that fails while loading.

throw new Error("this module cannot load");
