"""GraphQL over HTTP: the `/graphql` view and the responses it keeps for reuse."""
