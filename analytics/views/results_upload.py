"""Results uploaded as CSV by partners without an integration."""
