"""The Lost & Found workspace's GUI: the page, its post dialog, detail pane and match breakdown bars."""
