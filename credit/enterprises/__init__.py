"""The enterprise registry: e-commerce operators identified by their USCC."""
