"""The management API under `/manage/v1/`: operators manage companies, lists, sign-up
units, templates and credentials with their own tokens."""
