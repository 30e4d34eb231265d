"""The Attentive-style v1/v2 API dialect."""
