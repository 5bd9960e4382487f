"""Flask blueprints: one module each."""
