"""The Albums workspace's GUI: page, photo grid and event list, edits, jobs, folders dialog."""
