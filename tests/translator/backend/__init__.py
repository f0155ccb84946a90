"""Tests of the translator back end: targets, toolchain, IR extensions, debug info, optimize, emit, link."""
