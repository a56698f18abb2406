"""Web server logs: access and error logs of Apache httpd, nginx, IIS and HAProxy."""
