"""`OperationSpanNames`: the operation's type and name on its trace span.

The transport opens the operation's span and keeps it current while strawberry
runs (`gateway.transport.tracing`); which operation it is, is known only once the
document is parsed. This extension is installed only while tracing is on.
"""

from collections.abc import Iterator

from opentelemetry import trace
from strawberry.extensions import SchemaExtension

#: The semantic conventions' attributes of a GraphQL server span.
OPERATION_NAME = "graphql.operation.name"
OPERATION_TYPE = "graphql.operation.type"
#: A span's name has no length limit of its own, and this one is the client's.
MAX_NAME = 64


class OperationSpanNames(SchemaExtension):
    """Names the current span `{type} {name}` and gives it the conventions'
    `graphql.operation.type` and `graphql.operation.name`.

    Not `graphql.document`: a client may write anything into a document's
    literals, its own token included, and documents are long; the operation's
    name tells a trace's reader which one it was.
    """

    def on_validate(self) -> Iterator[None]:
        # Strawberry runs this hook once the document is parsed and its operation
        # found, so the operation's type is known here, valid or not.
        operation_type = self.execution_context.operation_type.value
        name = (self.execution_context.operation_name or "")[:MAX_NAME]
        span = trace.get_current_span()
        span.update_name(f"{operation_type} {name}" if name else operation_type)
        span.set_attribute(OPERATION_TYPE, operation_type)
        if name:
            span.set_attribute(OPERATION_NAME, name)
        yield
