"""Production tooling: the production-shaped local stack, its smoke journey, the fault
suite (``make chaos``) and the backup/restore check. Nothing in the app imports it."""
