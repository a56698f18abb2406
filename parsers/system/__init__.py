"""System logs: syslog authentication logs (auth.log, secure)."""
