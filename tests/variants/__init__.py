"""Wrong implementations of graded functions, one module per problem set (see DESIGN.md)."""
