"""Transport security (HTTPS only, security headers) and vulnerability disclosure (security.txt)."""
