"""cloud/bifrost/bootstrap.sh against a fake docker, in a throwaway /etc/bifrost (see harness.py)."""
