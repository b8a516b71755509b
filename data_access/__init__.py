"""Persistence: settings, the database (engine, models, migrations), the stored data set and its
version, authorisation and the role table. Knows nothing of the domain package or the UI."""
