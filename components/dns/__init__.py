"""DNS records of every configured host, in Cloudflare (see records.py); hosts.py is the table of hosts."""
