"""Logos: index a folder, look up a query, find duplicates, train SimCLR on the user's logos."""
