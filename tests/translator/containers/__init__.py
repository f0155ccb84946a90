"""Differential tests of containers (List, Dict, bytes, bytearray), str == and Weak, native against CPython."""
