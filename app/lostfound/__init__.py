"""Lost & Found GUI parts (the page itself is app/pages/lostfound.py for now)."""
