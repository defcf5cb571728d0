"""Reference metadata (data documentation, issue 17): structure definitions, checks, submission, queries."""
