"""Reads of the analytics domain. Every function runs a fixed number of queries,
whatever the amount of data (the query-count tests hold them to it)."""
