"""The development-tools layer."""
