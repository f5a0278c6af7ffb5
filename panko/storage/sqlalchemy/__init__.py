"""The SQL storage driver: PostgreSQL, MySQL/MariaDB and SQLite."""
