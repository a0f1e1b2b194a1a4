"""A platform wheel carries the modelpeek binary in modelpeek/bin/ and is
tagged py3-none-<platform> (packaging/python-wheel.sh passes --plat-name);
without a binary it is a plain py3-none-any wheel that uses modelpeek on
PATH."""

from setuptools import setup

try:
    from wheel.bdist_wheel import bdist_wheel

    class PlatformWheel(bdist_wheel):
        """A wheel for one platform that holds no Python extension."""

        def finalize_options(self):
            super().finalize_options()
            if self.plat_name_supplied:
                self.root_is_pure = False

        def get_tag(self):
            if self.plat_name_supplied:
                return "py3", "none", self.plat_name
            return super().get_tag()

    cmdclass = {"bdist_wheel": PlatformWheel}
except ImportError:
    cmdclass = {}

setup(cmdclass=cmdclass)
