"""The Attentive dialect: subscriptions, attributes, identity, privacy."""
