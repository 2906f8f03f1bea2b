"""The model planner's prompts, kept as versioned Markdown files and shipped as package data.

``agent.prompts`` reads them with :mod:`importlib.resources`, so an editable install and a
built wheel find the same files.
"""
