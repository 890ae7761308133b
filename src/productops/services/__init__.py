"""Use cases shared by every interface: workspace and acting user in, typed results out.

Services never print; the CLI, the API and the web pages render what they return.
"""

from productops.services.actor import Actor

__all__ = ["Actor"]
