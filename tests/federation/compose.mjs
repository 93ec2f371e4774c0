// Usage: node compose.mjs <our subgraph SDL: file path or GraphQL URL>
// Composes it with the catalogue subgraph (federation.mjs) and prints one JSON
// object on stdout: {"ok": true, "supergraph": ..., "hints": [...]} or
// {"ok": false, "errors": [{code, message}]}; exits 1 when composition fails.
import { CATALOGUE_SDL, compose, loadSdl } from "./federation.mjs";

const source = process.argv[2];
if (!source) {
  process.stderr.write("usage: node compose.mjs <schema.graphql | http://.../graphql>\n");
  process.exit(2);
}

let result;
try {
  const sdl = await loadSdl(source);
  result = compose([
    { name: "accounts", url: "http://accounts.invalid/graphql", sdl },
    { name: "catalogue", url: "http://catalogue.invalid/graphql", sdl: CATALOGUE_SDL },
  ]);
} catch (error) {
  result = { ok: false, errors: [{ code: "LOAD_ERROR", message: String(error) }] };
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exitCode = result.ok ? 0 : 1;
