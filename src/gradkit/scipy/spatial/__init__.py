"""``scipy.spatial``, written for gradkit: ``gk.scipy.spatial.distance.cdist``."""

from gradkit.scipy.spatial import distance

__all__ = ["distance"]
