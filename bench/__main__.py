"""`python -m bench`: the whole benchmark, one command."""

from bench.driver import main

raise SystemExit(main())
