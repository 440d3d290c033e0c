"""Procedural chest radiograph phantoms: anatomy, findings and devices rendered with numpy and PIL."""
