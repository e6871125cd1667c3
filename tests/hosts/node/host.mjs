// A Node host for the connector component, transpiled by jco into ./out
// (`make test` does it): it imports through the component's `connector`
// interface, as a host platform written in JavaScript would, or serves the
// component's `wasi:http/incoming-handler`.
//
//   node host.mjs import KIND BASE_URL              one JSON line per record, then the summary
//   node host.mjs serve PORT BASE_URL [DOCUMENTS]   the HTTP entry point on 127.0.0.1:PORT
//
// DOCUMENTS, optional, is a JSON file of documents by name (as a request's
// `documents`) that every request starts from.
//
// The credential: Node's WASI shim cannot add a header to a request the
// guest has built, so this host hands the key and secret to the guest in
// its `wasi:config/store` (./settings.mjs), and the guest sends them to
// BASE_URL's origin only. The shim shows a guest the whole process
// environment unless told otherwise, so the guest's environment is emptied.

import { readFileSync } from "node:fs";
import { _setEnv } from "@bytecodealliance/preview2-shim/cli";
import { HTTPServer } from "@bytecodealliance/preview2-shim/http";
import { settings } from "./settings.mjs";

const [mode, argument, baseUrl, documents] = process.argv.slice(2);
const { CONFLUENT_CLOUD_API_KEY, CONFLUENT_CLOUD_API_SECRET } = process.env;
if (!baseUrl || !CONFLUENT_CLOUD_API_KEY || !CONFLUENT_CLOUD_API_SECRET) {
  console.error(
    "usage: node host.mjs import KIND BASE_URL | serve PORT BASE_URL [DOCUMENTS], " +
      "with CONFLUENT_CLOUD_API_KEY and CONFLUENT_CLOUD_API_SECRET set",
  );
  process.exit(2);
}
_setEnv({});
settings.set("confluent_base_url", baseUrl);
settings.set("confluent_cloud_api_key", CONFLUENT_CLOUD_API_KEY);
settings.set("confluent_cloud_api_secret", CONFLUENT_CLOUD_API_SECRET);
if (documents) {
  settings.set("documents", readFileSync(documents, "utf8"));
}

const component = await import("./out/confluent_connector.js");

/** JSON with the component's u64 counts, which jco gives as BigInt. */
const json = (value) =>
  JSON.stringify(value, (_, v) => (typeof v === "bigint" ? Number(v) : v));

/** An attribute value as JSON: null, text, a number or a boolean. */
const plain = (value) => (value.tag === "absent" ? null : value.val);

if (mode === "import") {
  const run = component.connector.startImport(
    { baseUrl, documents: [] },
    { kinds: [argument], hasState: false, incremental: false },
  );
  for (let event = run.next(); event !== undefined; event = run.next()) {
    if (event.tag === "records") {
      for (const record of event.val) {
        const attributes = Object.fromEntries(
          record.val.attributes.map((a) => [a.name, plain(a.value)]),
        );
        console.log(json({ record: record.tag, status: record.val.status, ...attributes }));
      }
    } else if (event.tag === "finished") {
      console.log(json({ finished: event.val }));
    }
  }
} else if (mode === "serve") {
  const server = new HTTPServer(component.incomingHandler);
  server.listen(Number(argument), "127.0.0.1");
  console.error(`serving on http://127.0.0.1:${argument}/`);
} else {
  console.error(`unknown mode '${mode}'; expected import or serve`);
  process.exit(2);
}
