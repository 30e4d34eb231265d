"""Privacy requests: erasing a subject, and the suppression list that outlives it."""
