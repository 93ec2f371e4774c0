"""The GraphQL schema: an Apollo Federation v2 subgraph over the REST account API."""

from gateway.schema.build import create_schema
from gateway.schema.limits import SchemaLimits

__all__ = ["SchemaLimits", "create_schema"]
