"""Zoom: the webhook edge (verify, parse, store, ack), the report API client, back-fill, portal CSV import
and a TA's identity matches."""
