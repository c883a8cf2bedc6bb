"""Whole-service backups: the database, the document objects and the keyring, under one passphrase."""
