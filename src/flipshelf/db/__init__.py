"""The only package that imports SQLAlchemy: schema, queries and migrations."""
