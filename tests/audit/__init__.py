"""The operators' audit trail: what each door records, who reads it, and that it stays."""
