"""Lost & Found: posts with an optional photo and Korean/English text, and their matches."""
