"""key_rotation: zero-downtime rotation of gateway credentials, versioned in CSMS."""
