"""license_purchase: get a developer a CodeArts IDE seat bound to their machine."""
