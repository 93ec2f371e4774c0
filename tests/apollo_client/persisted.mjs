// Apollo Client's automatic persisted queries, as a single-page app sets them up,
// against the running gateway.
//
//   node persisted.mjs '<config JSON>'
//
// The config names the gateway (`url`, `token`), the operation to run (`operation`:
// a key of OPERATIONS) and how many times (`runs`). The link chain is the one Apollo's documentation gives:
// `createPersistedQueryLink({ sha256, useGETForHashedQueries: true })` in front of
// an `HttpLink`, unchanged; SHA-256 is node's own. Every request it sends is
// recorded as it went (method, what it carried, the query text if any) with what
// came back (status, caching headers, error codes), and printed with each run's
// data as one JSON line on stdout. A failure prints its message on stderr and
// exits 1.

import { createHash } from "node:crypto";

import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries";

const OPERATIONS = {
  account: gql`
    query PersistedAccount {
      account {
        id
        favorites(mediaType: MOVIE) {
          totalResults
        }
      }
    }
  `,
  other: gql`
    query NotInTheApp {
      account {
        username
      }
    }
  `,
};

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

// What one request carried, read from the URL (GET) or the JSON body (POST).
function carried(url, init) {
  const method = init?.method ?? "GET";
  const payload =
    method === "GET"
      ? Object.fromEntries(new URL(url).searchParams)
      : JSON.parse(init.body);
  const extensions =
    typeof payload.extensions === "string" ? JSON.parse(payload.extensions) : payload.extensions;
  return {
    method,
    query: typeof payload.query === "string" ? payload.query : null,
    hash: extensions?.persistedQuery?.sha256Hash ?? null,
    contentType: new Headers(init?.headers).get("content-type"),
  };
}

function recordingFetch(exchanges) {
  return async (url, init) => {
    const exchange = carried(url, init);
    const response = await fetch(url, init);
    const body = await response.clone().json();
    exchanges.push({
      ...exchange,
      status: response.status,
      cacheControl: response.headers.get("cache-control"),
      etag: response.headers.get("etag"),
      codes: (body.errors ?? []).map((error) => error.extensions?.code ?? null),
    });
    return response;
  };
}

function createClient(config, exchanges) {
  const http = new HttpLink({
    uri: config.url,
    headers: { authorization: `Bearer ${config.token}` },
    fetch: recordingFetch(exchanges),
  });
  const persisted = createPersistedQueryLink({ sha256, useGETForHashedQueries: true });
  return new ApolloClient({ link: persisted.concat(http), cache: new InMemoryCache() });
}

async function main() {
  const config = JSON.parse(process.argv[2]);
  const exchanges = [];
  const client = createClient(config, exchanges);
  const results = [];
  for (let run = 0; run < config.runs; run += 1) {
    const query = OPERATIONS[config.operation];
    const result = await client.query({ query, fetchPolicy: "network-only" });
    if (result.error) throw result.error;
    results.push(result.data);
  }
  console.log(JSON.stringify({ results, exchanges }));
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exit(1);
});
