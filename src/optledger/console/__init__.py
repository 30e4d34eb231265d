"""The operator's console: server-rendered pages over the core, signed in with a session."""
