"""What the test modules share: helpers, fixtures' companions, requests and servers.

Nothing here is a test module, and no test module imports another.
"""
