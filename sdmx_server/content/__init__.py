"""The mechanism's public face as plain functions: documents library, news and events, links (issue 18).

Below the portal, above storage and access: every operation asks a named rule first, then changes the stores and
writes the audit log in the caller's transaction, as access/administration.py does.
"""
