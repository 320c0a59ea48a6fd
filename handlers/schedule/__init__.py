"""Scheduled work: what is due at an instant, the runs that send it once with pacing, and the live tally."""
