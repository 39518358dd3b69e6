"""Simscope's engine: models, pipelines, stores and the job runner.

Nothing in this package imports Qt (a test and an import-linter contract
check it), so everything here runs the same in the GUI, the CLI and tests.
"""

__version__ = "0.1.0"
