"""The protocol: Authlib server, grants, endpoints, claims, keys and JWKS, logout, events."""
