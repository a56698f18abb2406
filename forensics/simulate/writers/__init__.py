"""Byte-faithful renderers for every log format the case contains, and file rotation."""
