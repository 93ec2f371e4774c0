// Shared by compose.mjs and router.mjs: the catalogue subgraph, loading a
// subgraph's SDL (file or live `_service { sdl }`), and Apollo composition.
import { readFile } from "node:fs/promises";

import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

// A second subgraph that owns catalogue data about movies: it extends the
// gateway's `Movie` entity through the same key and adds `tagline`.
export const CATALOGUE_SDL = `
extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.11", import: ["@key"])

type Movie @key(fields: "id") {
  id: Int!
  tagline: String
}
`;

export const catalogueResolvers = {
  Movie: {
    __resolveReference({ id }) {
      return { id, tagline: `Tagline of ${id}` };
    },
  },
};

/** The SDL of a subgraph: read from a file, or asked of a live subgraph URL. */
export async function loadSdl(source, headers = {}) {
  if (!/^https?:\/\//.test(source)) {
    return readFile(source, "utf8");
  }
  const response = await fetch(source, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
  });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${source} answered HTTP ${response.status}, not JSON: ${text}`);
  }
  const sdl = body?.data?._service?.sdl;
  if (typeof sdl !== "string") {
    throw new Error(`${source} gave no _service.sdl: ${text}`);
  }
  return sdl;
}

/**
 * Compose subgraphs ({name, url, sdl}) with Apollo's composition.
 * Returns {ok: true, supergraph, hints} or {ok: false, errors}.
 */
export function compose(subgraphs) {
  let services;
  try {
    services = subgraphs.map(({ name, url, sdl }) => ({
      name,
      url,
      typeDefs: parse(sdl),
    }));
  } catch (error) {
    return { ok: false, errors: [{ code: "PARSE_ERROR", message: String(error) }] };
  }
  const result = composeServices(services);
  if (result.errors && result.errors.length > 0) {
    return {
      ok: false,
      errors: result.errors.map((error) => ({
        code: error.extensions?.code ?? null,
        message: error.message,
      })),
    };
  }
  return {
    ok: true,
    supergraph: result.supergraphSdl,
    hints: (result.hints ?? []).map((hint) => ({
      code: hint.definition?.code ?? null,
      message: hint.message,
    })),
  };
}
