"""APIG operations, one module per resource family and one function per documented operation."""
