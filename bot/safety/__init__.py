"""The safety policy: every message gets a decision before anything is retrieved."""
