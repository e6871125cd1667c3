// The guest's `wasi:config/store`, for jco: `make hosts` transpiles the
// component with `--map 'wasi:config/store=../settings.mjs#store'`, so the
// component reads its settings (the credential, the base URL, documents)
// from `settings`, which the host script fills before it loads the
// component. Node's WASI shim has no `wasi:config` of its own.

/** What the guest's store holds, by key. */
export const settings = new Map();

/** `wasi:config/store`: `get` answers undefined for a missing key (`none`). */
export const store = {
  get: (key) => settings.get(key),
  getAll: () => [...settings.entries()],
};
