"""Real servers on loopback (uvicorn apps, redis-server) for the tests and bench/.

Both import from here; bench never imports from tests/.
"""
