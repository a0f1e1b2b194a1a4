"""A platform wheel carries the modelpeek binary in modelpeek/bin/; the
wheel is then tagged for that platform (MODELPEEK_PLAT_NAME, set by
packaging/python-wheel.sh) instead of py3-none-any."""

import os

from setuptools import setup
from setuptools.dist import Distribution


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return bool(os.environ.get("MODELPEEK_PLAT_NAME"))


setup(distclass=BinaryDistribution)
