"""The Bifrost VPS: Hetzner resources, cloud-init, and the files delivered to /etc/bifrost."""
