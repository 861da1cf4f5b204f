"""Shared kernel: no domain imports here (errors, outbound HTTP, fetcher, crypto, queueing)."""
