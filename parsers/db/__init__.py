"""Database logs: MySQL/MariaDB general, slow, error and audit logs; PostgreSQL stderr, csv and json logs."""
