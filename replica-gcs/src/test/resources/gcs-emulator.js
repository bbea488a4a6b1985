// Starts the Cloud Storage emulator that ships inside firebase-tools, on 127.0.0.1:PORT, without
// `firebase emulators:start` (which downloads a rules runtime and so needs the network). The GCS
// JSON API (/storage/v1, /upload/storage/v1, /download/storage/v1) never consults rules.
//   node gcs-emulator.js FIREBASE_TOOLS_DIR PORT
// Prints "listening on PORT" once it accepts requests; SIGTERM stops it. Keeps its files under
// $TMPDIR (give each emulator its own). POST /internal/reset empties it.
"use strict";
const path = require("path");
const [root, portArg] = process.argv.slice(2);
const port = Number(portArg);
if (!root || !port) {
  console.error("usage: node gcs-emulator.js FIREBASE_TOOLS_DIR PORT");
  process.exit(2);
}
const lib = (p) => require(path.join(root, "lib", p));
const { StorageEmulator } = lib("emulator/storage/index.js");
const { createApp } = lib("emulator/storage/server.js");
const { EmulatorRegistry } = lib("emulator/registry.js");

(async () => {
  const emulator = new StorageEmulator({ projectId: "litestream4j", host: "127.0.0.1", port, auto_download: false });
  // Registered so the emulator's self links and upload URLs name this host and port.
  EmulatorRegistry.set(emulator.getName(), emulator);
  const app = await createApp("litestream4j", emulator);
  const server = app.listen(port, "127.0.0.1", () => console.log("listening on " + port));
  // Node closes an idle keep-alive connection after 5 s; a client that reuses one at that moment
  // (Go's keeps them 90 s) has its request reset: Litestream 0.3 logged "connection reset by
  // peer" on an upload after a 5.8 s pause (CI). Google's servers keep idle connections for
  // minutes, so the emulator does too.
  server.keepAliveTimeout = 120000;
  server.headersTimeout = 121000;
  server.on("error", (e) => {
    console.error("gcs emulator: " + e.message);
    process.exit(1);
  });
  // Objects live in memory: nothing to save, so no wait for idle keep-alive connections.
  const stop = () => process.exit(0);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
})().catch((e) => {
  console.error("gcs emulator: " + (e && e.stack ? e.stack : e));
  process.exit(1);
});
