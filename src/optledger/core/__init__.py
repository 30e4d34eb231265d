"""The consent core: every rule, once, with no knowledge of HTTP."""
