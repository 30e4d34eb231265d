"""The Vibes dialect: persons, subscriptions, campaigns, callbacks, isolation."""
