"""license_release: unbind the seats of a departing user or machine so they can be reused."""
