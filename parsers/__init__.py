"""Log format parsers: one small module per format, registered where it is defined."""
