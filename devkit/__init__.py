"""Developer tooling for opsfn: the CLI, the cloud emulator, packaging and rendering. Never bundled."""
