"""The asterpy translator: Kernel Python to native code (parse, resolve, check, lower, optimize, emit, link, image)."""
