"""Employee portal views of the advocacy domain."""
