"""The management API: operators' tokens and each company's setup."""
