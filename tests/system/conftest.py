# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures for the black-box system tests (run with Debian's /usr/bin/python3).

The tests start the real `m2msec` binary (path in $M2MSEC_BIN, set by ctest) and independent
peers (openssl, python hmac) on loopback only.
"""
import os
import shutil
import subprocess

import pytest

SOURCE_DIR = os.environ.get("M2MSEC_SOURCE_DIR",
                            os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))


def _find_bin():
    env = os.environ.get("M2MSEC_BIN")
    if env:
        return env
    cand = os.path.join(SOURCE_DIR, "build", "m2msec")
    return cand


@pytest.fixture(scope="session")
def m2msec_bin():
    path = _find_bin()
    assert os.access(path, os.X_OK), f"m2msec binary not found at {path} (build first)"
    return path


@pytest.fixture
def run(m2msec_bin):
    """run(*args, input=None) -> CompletedProcess of `m2msec args...` (text mode, no check)."""
    def _run(*args, input=None, env=None):
        return subprocess.run([m2msec_bin, *map(str, args)], input=input, capture_output=True,
                              text=True, timeout=60, env=env)
    return _run


@pytest.fixture(scope="session")
def openssl_bin():
    path = shutil.which("openssl")
    assert path, "openssl CLI is required for the system tests"
    return path
