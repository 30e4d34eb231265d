"""Person attributes: standard profile fields and per-company custom attributes.

Nothing is imported here, so that a module using only the types (`values`) does not
load the rules and their storage.
"""
