"""Where events and read models live: PostgreSQL when configured, else embedded SQLite."""
