"""The encrypted tenant store: database, models, key ring, migrations."""
