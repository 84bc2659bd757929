"""Background work: a PostgreSQL-backed job queue (pgqueuer), its worker, periodic jobs."""
