"""The pages people reach from the links in emails: confirm, unsubscribe."""
