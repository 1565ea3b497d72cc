"""Storage: SQLAlchemy 2 models, repositories (the only place that writes SQL) and migrations."""
