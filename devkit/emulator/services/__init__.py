"""One module per faked cloud service."""
