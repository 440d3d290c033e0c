"""medslice: multimodal slice discovery for auditing medical image classifiers."""

__version__ = "0.1.0"
