"""Inbound SMS: keywords through the JSON and Twilio routes."""
