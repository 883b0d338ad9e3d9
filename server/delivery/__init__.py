"""Delivering what the outbox holds: back-channel logouts now; mail, SMS and events later."""
