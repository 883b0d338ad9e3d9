"""The modules that hold Passport's security rules: what `make mutate` mutates by default."""

TARGETS = [
    # the credential-change rule, token storage and grants
    "server/domain/credentials.py",
    "server/domain/grants.py",
    "server/services/tokens.py",
    # clients and the authorization request
    "server/domain/client_metadata.py",
    "server/oauth/authorize.py",
    # sessions
    "server/domain/login_sessions.py",
    "server/services/sessions.py",
    # second factors and passwords
    "server/domain/factors.py",
    "server/services/two_factor.py",
    "server/domain/passwords.py",
]
