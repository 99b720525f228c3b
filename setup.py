"""Packaging for the ftrack Python API client and the ftrack-local server."""

import os
import re

from setuptools import find_packages, setup

ROOT = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(ROOT, "source")


def read_version():
    """Return the version string declared in ftrack_api/_version.py."""
    path = os.path.join(SOURCE, "ftrack_api", "_version.py")
    with open(path, encoding="utf-8") as handle:
        match = re.search(
            r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", handle.read(), re.MULTILINE
        )
    if match is None:
        raise RuntimeError("Unable to find __version__ in {}".format(path))
    return match.group(1)


def read_readme():
    with open(os.path.join(ROOT, "README.rst"), encoding="utf-8") as handle:
        return handle.read()


SERVER_REQUIRES = [
    "SQLAlchemy>=2,<3",
    "aiohttp>=3.9,<4",
    "Jinja2>=3.1,<4",
]
#: An ffmpeg binary for media encoding and thumbnails when none is on PATH.
MEDIA_REQUIRES = ["imageio-ffmpeg>=0.4"]

setup(
    name="ftrack-python-api",
    version=read_version(),
    description=(
        "Python client for the ftrack data API, with a local "
        "ftrack-compatible server for development and testing."
    ),
    long_description=read_readme(),
    long_description_content_type="text/x-rst",
    license="Apache-2.0",
    license_files=["LICENSE", "LICENSE.python"],
    keywords="ftrack, api, pipeline, production tracking",
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Intended Audience :: Developers",
        "License :: OSI Approved :: Apache Software License",
        "Operating System :: OS Independent",
        "Programming Language :: Python",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Framework :: Pytest",
        "Topic :: Software Development :: Libraries :: Python Modules",
    ],
    package_dir={"": "source"},
    packages=find_packages(where="source"),
    package_data={"ftrack_local": ["data/*.json", "web/templates/*.html", "web/static/*"]},
    include_package_data=True,
    zip_safe=False,
    python_requires=">=3.9",
    install_requires=[
        "requests>=2.26,<3",
        "arrow>=1,<2",
        "pyparsing>=3,<4",
        "clique>=2,<3",
        "websocket-client>=1,<2",
        "termcolor>=2,<4",
        "platformdirs>=3",
    ],
    extras_require={
        "server": SERVER_REQUIRES,
        "postgres": ["psycopg[binary]>=3"],
        # autodoc imports the server modules and the pytest fixtures.
        "doc": ["sphinx>=7", "pytest>=7"] + SERVER_REQUIRES,
        "media": MEDIA_REQUIRES,
        # The browser tests (test/browser) drive the system's Chromium with Playwright.
        "browser": ["playwright>=1.40"],
        "test": SERVER_REQUIRES
        + MEDIA_REQUIRES
        + [
            "pytest>=7",
            "pytest-timeout",
            "hypothesis>=6",
        ],
    },
    entry_points={
        "console_scripts": [
            "ftrack-local = ftrack_local.cli:main",
        ],
        "pytest11": [
            "ftrack_local.testing = ftrack_local.testing",
        ],
    },
)
