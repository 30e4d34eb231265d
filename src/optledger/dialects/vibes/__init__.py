"""The Vibes-style dialect: `/companies/{company_key}/...`, HTTP Basic, snake_case."""
