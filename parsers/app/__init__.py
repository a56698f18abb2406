"""Application logs: Mediboard audit tables, Monolog application.log, generic JSON lines and CSV."""
