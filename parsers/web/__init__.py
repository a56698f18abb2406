"""Web server logs: Apache httpd, nginx, IIS and HAProxy, and what stands in front of them (AWS ALB, ELB and CloudFront, Cloudflare, Caddy, Traefik)."""
