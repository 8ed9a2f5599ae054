"""Authentication: qsh, Connect JWTs, install keys, the security policy and identities."""
