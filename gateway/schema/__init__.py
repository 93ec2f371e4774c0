"""The GraphQL schema: an Apollo Federation v2 subgraph over the REST account API."""

from gateway.schema.build import SchemaLimits, create_schema

__all__ = ["SchemaLimits", "create_schema"]
