// Usage: node router.mjs <our gateway's GraphQL URL>
//
// Starts, on 127.0.0.1 with OS-chosen ports:
//  - the catalogue subgraph (federation.mjs: Movie @key(fields: "id") + tagline);
//  - an Apollo Gateway (router) over a supergraph composed here from our
//    gateway's live `_service { sdl }` and the catalogue's, forwarding each
//    request's `authorization` header to the subgraphs.
// Prints `READY <router url>` on stdout once both listen; on failure prints
// `ERROR <json>` on stderr and exits 1. Stops on SIGTERM/SIGINT or when stdin
// closes, so whoever started it can always end it.
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";

import { CATALOGUE_SDL, catalogueResolvers, compose, loadSdl } from "./federation.mjs";

const accountsUrl = process.argv[2];
if (!accountsUrl) {
  process.stderr.write("usage: node router.mjs <http://host:port/graphql>\n");
  process.exit(2);
}

// No anonymous usage metrics to Apollo (nor cloud metadata probes) from a test.
process.env.APOLLO_TELEMETRY_DISABLED = "true";

const LISTEN = { host: "127.0.0.1", port: 0 };
// Apollo logs to stdout by default; stdout carries only the READY line.
const log = (level) => (...args) => process.stderr.write(`${level} ${args.join(" ")}\n`);
const logger = { debug() {}, info: log("INFO"), warn: log("WARN"), error: log("ERROR") };
const servers = [];
let stopping = false;

async function stop(code) {
  if (stopping) return;
  stopping = true;
  // Router first, then the subgraph it calls.
  for (const server of servers.reverse()) {
    try {
      await server.stop();
    } catch {
      // Exiting anyway.
    }
  }
  process.exit(code);
}

function fail(stage, error) {
  const cause = error?.cause ? `\ncause: ${String(error.cause?.stack ?? error.cause)}` : "";
  const detail = error?.errors ?? `${String(error?.stack ?? error)}${cause}`;
  process.stderr.write(`ERROR ${JSON.stringify({ stage, detail })}\n`);
  return stop(1);
}

process.on("SIGTERM", () => stop(0));
process.on("SIGINT", () => stop(0));
process.stdin.on("end", () => stop(0));
process.stdin.on("error", () => stop(0));
process.stdin.resume();

async function main() {
  const catalogue = new ApolloServer({
    schema: buildSubgraphSchema([{ typeDefs: parse(CATALOGUE_SDL), resolvers: catalogueResolvers }]),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    logger,
  });
  servers.push(catalogue);
  const { url: catalogueUrl } = await startStandaloneServer(catalogue, { listen: LISTEN });

  const composed = compose([
    { name: "accounts", url: accountsUrl, sdl: await loadSdl(accountsUrl) },
    { name: "catalogue", url: catalogueUrl, sdl: await loadSdl(catalogueUrl) },
  ]);
  if (!composed.ok) {
    const error = new Error("composition failed");
    error.errors = composed.errors;
    throw error;
  }

  const gateway = new ApolloGateway({
    logger,
    supergraphSdl: composed.supergraph,
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource({
        url,
        willSendRequest({ request, context }) {
          if (context?.authorization) {
            request.http.headers.set("authorization", context.authorization);
          }
        },
      }),
  });
  // includeStacktraceInErrorResponses: off, so errors reach the test as a
  // client would see them (codes and paths from the subgraphs).
  const router = new ApolloServer({ gateway, logger, includeStacktraceInErrorResponses: false });
  servers.push(router);
  const { url } = await startStandaloneServer(router, {
    listen: LISTEN,
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  process.stdout.write(`READY ${url}\n`);
}

main().catch((error) => fail("startup", error));
