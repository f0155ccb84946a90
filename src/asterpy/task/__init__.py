"""Tasks: user processes (process.py) and starting init (init.py)."""
