"""Services: one function per command, wiring the core and the adapters. No printing."""
