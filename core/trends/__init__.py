"""Trends: a popularity-trend forecaster on daily posts (image↔text cross-attention, numeric MLP, LSTM)."""
