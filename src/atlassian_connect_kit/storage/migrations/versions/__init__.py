"""One module per schema revision of the kit's tables, oldest first."""
