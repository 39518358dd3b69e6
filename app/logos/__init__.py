"""The Logos workspace's GUI: look-alikes, duplicates, training and the map."""
