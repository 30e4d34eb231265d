"""The Attentive-style legacy API: `/1/` routes behind legacy tokens."""
