"""The caching domain: one caller's view of the REST API, its cache keys and
generations, the checks on its arguments, and loads shared while in flight."""
