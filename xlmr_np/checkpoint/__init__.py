"""Checkpoint files: validated safetensors reading/writing and key matching."""
