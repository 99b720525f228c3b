"""Run the Python examples of every documentation page against a local server.

Each page under ``doc/`` is one script: its ``.. code-block:: python`` blocks
run in order, in one namespace, in a fresh interpreter whose environment
points ``ftrack_api`` at a throwaway ``ftrack_local`` server. A block with
the option ``:class: no-run`` is shown in the documentation but not run (see
``doc/contributing.rst`` for the conventions).

A failure names the page, the line of the block in the page and the
traceback, whose line numbers are those of the page itself. The number of
blocks run is printed in the terminal summary.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ftrack_local.testing import running_server

DOC_DIR = Path(__file__).resolve().parents[2] / "doc"
PAGE_TIMEOUT = 180
NO_RUN_CLASS = "no-run"

DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. code-block::\s*(?P<language>\S+)\s*$")
OPTION = re.compile(r"^\s*:(?P<name>[\w-]+):\s*(?P<value>.*)$")

#: Executes the blocks given as JSON on stdin; a block's code is padded with
#: blank lines so that tracebacks show line numbers of the page.
DRIVER = r"""
import json, sys, traceback
page, blocks = json.load(sys.stdin)
namespace = {"__name__": "__main__"}
for number, (line, code) in enumerate(blocks, 1):
    try:
        exec(compile("\n" * (line - 1) + code, page, "exec"), namespace)
    except BaseException:
        sys.stdout.flush()
        sys.stderr.write("\nBlock {0} of {1} (starting at {2}:{3}) failed:\n".format(
            number, len(blocks), page, line))
        traceback.print_exc()
        sys.exit(1)
    print("\n-- block {0} ({1}:{2}) done".format(number, page, line), flush=True)
"""


class CodeBlock:
    """A code block of a page: its language, options and code."""

    def __init__(self, page, line, language, options, code):
        self.page = page
        self.line = line
        self.language = language
        self.options = options
        self.code = code

    @property
    def runs(self):
        """Whether the example runner executes this block."""
        classes = self.options.get("class", "").split()
        return self.language in ("python", "python3") and NO_RUN_CLASS not in classes


def as_text(output):
    """Output of a process that timed out, as text."""
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    return output or ""


def indent_of(line):
    return len(line) - len(line.lstrip())


def code_blocks(path):
    """Every ``code-block`` directive of the page at *path*, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        match = DIRECTIVE.match(lines[index])
        index += 1
        if not match:
            continue
        base = len(match.group("indent"))
        options = {}
        while index < len(lines) and OPTION.match(lines[index]) and indent_of(lines[index]) > base:
            option = OPTION.match(lines[index])
            options[option.group("name")] = option.group("value").strip()
            index += 1
        body = []
        start = None
        while index < len(lines):
            line = lines[index]
            if line.strip() and indent_of(line) <= base:
                break
            if line.strip() and start is None:
                start = index + 1
            if start is not None:
                body.append(line)
            index += 1
        if start is None:
            continue
        margin = min(indent_of(line) for line in body if line.strip())
        code = "\n".join(line[margin:] for line in body).rstrip() + "\n"
        blocks.append(CodeBlock(path, start, match.group("language"), options, code))
    return blocks


def pages():
    """Documentation pages (relative paths) with at least one code block that runs."""
    found = []
    for path in sorted(DOC_DIR.rglob("*.rst")):
        if "_build" in path.parts:
            continue
        if any(block.runs for block in code_blocks(path)):
            found.append(path.relative_to(DOC_DIR).as_posix())
    return found


class BlockCounter:
    """Counts the blocks run and reports them in the terminal summary."""

    def __init__(self):
        self.blocks = 0
        self.pages = 0
        self.skipped = 0

    def pytest_terminal_summary(self, terminalreporter):
        terminalreporter.write_sep("-", "documentation examples")
        terminalreporter.write_line(
            "documentation examples: {0} blocks run on {1} pages "
            "({2} blocks shown but not run)".format(self.blocks, self.pages, self.skipped))


@pytest.fixture(scope="module")
def block_counter(request):
    counter = BlockCounter()
    request.config.pluginmanager.register(counter, "ftrack-doc-example-counter")
    return counter


@pytest.fixture(scope="module")
def doc_server(tmp_path_factory):
    """A server of its own for the documentation, so pages see only their own data."""
    with running_server(str(tmp_path_factory.mktemp("doc-server"))) as server:
        yield server


@pytest.fixture(scope="module")
def doc_environment(doc_server, tmp_path_factory):
    """The environment a page runs in: connection details and a temp schema cache."""
    environment = dict(os.environ)
    for name in list(environment):
        if name.startswith("FTRACK_") and not name.startswith("FTRACK_LOCAL_"):
            del environment[name]
    environment.update({
        "FTRACK_SERVER": doc_server.url,
        "FTRACK_API_USER": doc_server.api_user,
        "FTRACK_API_KEY": doc_server.api_key,
        "FTRACK_API_SCHEMA_CACHE_PATH": str(tmp_path_factory.mktemp("doc-schema-cache")),
        "PYTHONUNBUFFERED": "1",
    })
    return environment


def test_blocks_are_found():
    """The parser finds blocks, their options and their first line."""
    blocks = code_blocks(DOC_DIR / "contributing.rst")
    runnable = [block for block in blocks if block.runs]
    shown = [block for block in blocks if not block.runs]
    assert runnable and shown
    first = runnable[0]
    assert (DOC_DIR / "contributing.rst").read_text(encoding="utf-8").splitlines()[
        first.line - 1].strip() == first.code.splitlines()[0].strip()


@pytest.mark.parametrize("page", pages())
def test_page_examples_run(page, doc_environment, block_counter, tmp_path):
    path = DOC_DIR / page
    blocks = code_blocks(path)
    runnable = [block for block in blocks if block.runs]
    payload = json.dumps([str(path), [[block.line, block.code] for block in runnable]])
    try:
        completed = subprocess.run(
            [sys.executable, "-c", DRIVER], input=payload, cwd=str(tmp_path),
            env=doc_environment, capture_output=True, text=True, timeout=PAGE_TIMEOUT)
    except subprocess.TimeoutExpired as error:
        pytest.fail("{0}: examples did not finish within {1} s\n{2}".format(
            page, PAGE_TIMEOUT, as_text(error.stdout)[-4000:]), pytrace=False)
    done = completed.stdout.count("\n-- block ")
    block_counter.blocks += done
    block_counter.pages += 1
    block_counter.skipped += len([block for block in blocks
                                  if block.language.startswith("python") and not block.runs])
    print("{0}: {1} of {2} Python blocks run".format(page, done, len(runnable)))
    if completed.returncode != 0:
        pytest.fail("{0}: an example failed\n--- output ---\n{1}\n--- error ---\n{2}".format(
            page, completed.stdout[-6000:], completed.stderr[-8000:]), pytrace=False)
    assert done == len(runnable)
