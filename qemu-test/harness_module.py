# SPDX-License-Identifier: GPL-2.0
"""qemu-test/run loaded as a module, for the tools that drive its guests
(qemu-test/bench, qemu-test/profile): run is a script without .py."""

import importlib.machinery
import importlib.util
import os


def load_run():
    here = os.path.dirname(os.path.abspath(__file__))
    loader = importlib.machinery.SourceFileLoader("pvlens_run", os.path.join(here, "run"))
    spec = importlib.util.spec_from_loader("pvlens_run", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module
