"""callflow: FDL call flows to checked, documented, executable artefacts."""

__version__ = "0.1.0"
