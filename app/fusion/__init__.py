"""The Fusion workspace's GUI: live training, evaluation, inspector, sweep and runs."""
