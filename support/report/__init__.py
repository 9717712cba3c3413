"""The run report: JUnit, JSON and one HTML page per run, with charts and reaction latencies."""
