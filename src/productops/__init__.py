"""productops: a Product Operations platform.

Turns the data an organisation already has (work trackers, feedback, product
events, experiments, surveys) into evidence for product decisions.
"""

from productops.errors import ProductOpsError

__all__ = ["ProductOpsError", "__version__"]
__version__ = "0.1.0"
