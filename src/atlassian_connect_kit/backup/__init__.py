"""Encrypted, database-independent backups: snapshot, file format, targets, retention, drills."""
