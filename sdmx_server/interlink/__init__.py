"""Machine-to-machine links with national databases (issue 20)."""
