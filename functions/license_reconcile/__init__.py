"""license_reconcile: daily walk over every seat, report drift, unbind seats of departed users."""
