"""Albums: photo folders grouped into events."""
