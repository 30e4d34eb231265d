"""Inbound SMS from providers: a plain JSON post and Twilio's signed form post."""
