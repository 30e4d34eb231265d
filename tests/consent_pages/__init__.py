"""The pages behind the links in emails: confirm and unsubscribe."""
