"""Refusal tests: every construct outside Kernel Python is rejected with a positioned, helpful TranslateError."""
