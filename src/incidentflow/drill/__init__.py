"""Drills: rehearse a process automatically (generated paths) or as scripted scenarios."""
