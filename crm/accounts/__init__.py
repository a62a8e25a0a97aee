"""User accounts and their security: passwords, sign-in, lockout, sessions."""
