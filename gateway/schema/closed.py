"""`ClosedSchemaRule`: with introspection off, nothing describes the schema.

graphql-core's `NoSchemaIntrospectionCustomRule` refuses `__schema` and `__type`;
a federation subgraph has one more description of itself, `_service { sdl }`,
which is the whole SDL. Routers that compose a closed gateway read its published
`schema.graphql` instead. What the errors of a refused document say is closed
too: `errors.closed_request_error`.
"""

from typing import Any

from graphql import FieldNode, GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule

#: The federation field that answers the subgraph's SDL.
SERVICE_FIELD = "_service"


class ClosedSchemaRule(NoSchemaIntrospectionCustomRule):
    """Refuses introspection and the subgraph's `_service` field."""

    def enter_field(self, node: FieldNode, *args: Any) -> None:
        super().enter_field(node, *args)
        parent = self.context.get_parent_type()
        query = self.context.schema.query_type
        if node.name.value == SERVICE_FIELD and parent is query:
            self.report_error(
                GraphQLError(
                    "Introspection is off, and so is the subgraph's `_service`.", node
                )
            )
