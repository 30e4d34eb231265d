"""Repositories: the SQL of each aggregate, returning plain frozen dataclasses.

The core calls these and never builds SQL itself. Each statement is a named
`Query` constant, written once and prepared by the driver.
"""
