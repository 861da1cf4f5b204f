"""SCIM 2.0 provisioning (RFC 7643, RFC 7644) at ``/scim/v2/``: an identity provider creates,
updates and deactivates people and teams in Chorus. Built on scim2-models (the python-scim
project's pydantic models: parsing, PATCH, filters, schemas).

- ``tokens``: the bearer tokens an Admin makes in the admin (hashed, shown once).
- ``auth``: checking them (with the login lockout and a throttle per token).
- ``schema``: what the service publishes (ServiceProviderConfig, ResourceTypes, Schemas).
- ``resources``: people and teams as SCIM resources, and back.
- ``filters``: SCIM filters as database queries.
- ``services``: the writes (create, replace, patch, delete), each in one transaction.
- ``views``, ``urls``: the HTTP endpoints.
"""
