// Apollo Client, as a single-page app runs it, against the running gateway.
//
//   node pagination.mjs '<config JSON>'
//
// The config names the gateway (`url`, `token`), the check to run and its
// options; the check's outcome is printed as one JSON line on stdout. A failure
// prints its message on stderr and exits 1.
//
// Checks:
//   walk: page through one connection with `relayStylePagination` and
//         `fetchMore`, forwards (first/after) or backwards (last/before), and
//         report the ids the merged cache holds at the end, in order.
//
// createLink is the one place that says how queries travel, so that another
// link (persisted queries, GET) can be put in front of the HTTP link there.

import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";

const DIRECTIONS = {
  forward: { count: "first", cursor: "after", more: "hasNextPage", from: "endCursor" },
  backward: { count: "last", cursor: "before", more: "hasPreviousPage", from: "startCursor" },
};

function createLink(config, counter) {
  const countingFetch = (...args) => {
    counter.requests += 1;
    return fetch(...args);
  };
  return new HttpLink({
    uri: config.url,
    headers: { authorization: `Bearer ${config.token}` },
    fetch: countingFetch,
  });
}

function createClient(config, counter) {
  const cache = new InMemoryCache({
    possibleTypes: { Media: ["Movie", "TvShow"] },
    typePolicies: {
      Account: {
        fields: { [config.field]: relayStylePagination(["mediaType", "sortBy", "language"]) },
      },
    },
  });
  return new ApolloClient({ link: createLink(config, counter), cache });
}

function connectionQuery(field) {
  return gql`
    query Connection($mediaType: MediaType!, $sortBy: ListSort!,
        $first: Int, $after: String, $last: Int, $before: String) {
      account {
        id
        ${field}(mediaType: $mediaType, sortBy: $sortBy,
            first: $first, after: $after, last: $last, before: $before) {
          totalCount
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node { id title } }
        }
      }
    }`;
}

// The first complete result of `observable`, which stays subscribed (active).
function firstResult(observable) {
  return new Promise((resolve, reject) => {
    const subscription = observable.subscribe({
      next: (result) => {
        if (!result.loading) resolve({ result, subscription });
      },
      error: reject,
    });
  });
}

function connectionOf(result, field) {
  if (result.error) throw result.error;
  return result.data.account[field];
}

async function walk(client, config) {
  const direction = DIRECTIONS[config.direction];
  const query = connectionQuery(config.field);
  const variables = {
    mediaType: config.mediaType,
    sortBy: config.sortBy,
    [direction.count]: config.pageSize,
  };
  const observable = client.watchQuery({ query, variables });
  const { result, subscription } = await firstResult(observable);
  let connection = connectionOf(result, config.field);
  let fetches = 0;
  try {
    while (connection.pageInfo[direction.more]) {
      if (fetches === config.maxFetches) throw new Error(`no end after ${fetches} fetchMore calls`);
      fetches += 1;
      const cursor = connection.pageInfo[direction.from];
      connectionOf(await observable.fetchMore({ variables: { [direction.cursor]: cursor } }), config.field);
      // The merged list, read through relayStylePagination's read function: what
      // the watching component is handed next.
      connection = client.readQuery({ query, variables }).account[config.field];
    }
  } finally {
    subscription.unsubscribe();
  }
  return {
    ids: connection.edges.map((edge) => edge.node.id),
    totalCount: connection.totalCount,
    pageInfo: connection.pageInfo,
    fetchMoreCalls: fetches,
  };
}

const CHECKS = { walk };

async function main() {
  const config = JSON.parse(process.argv[2]);
  const counter = { requests: 0 };
  const check = CHECKS[config.check];
  if (!check) throw new Error(`unknown check ${config.check}`);
  const outcome = await check(createClient(config, counter), config);
  console.log(JSON.stringify({ ...outcome, requests: counter.requests }));
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exit(1);
});
