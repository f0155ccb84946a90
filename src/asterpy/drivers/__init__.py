"""Device drivers that do not depend on an arch (they reach their device through an address the arch gives)."""
