"""The legacy unsubscribe API and its tokens."""
