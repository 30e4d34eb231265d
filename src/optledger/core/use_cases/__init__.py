"""Use cases: one function per operation a door performs, each owning its unit of work.

The HTTP dialects, the console and the CLI parse what they were given, call one of
these with the `Database`, and render what it returns. The rules live in the core
modules these call; a use case only sequences them inside `Database.run` (a write
transaction, replayed on a lost race) or `Database.read` (one statement, maybe on a
standby), so that every door performs an operation the same way.
"""
