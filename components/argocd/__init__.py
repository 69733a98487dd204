"""Argo CD objects derived from the rendered components."""
