"""The Trends workspace's GUI: data, training against baselines, predictions and runs."""
