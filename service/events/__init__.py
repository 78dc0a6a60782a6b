"""Events (issue 15): the catalog, emitting them once, low-balance alerts, and listing them."""
