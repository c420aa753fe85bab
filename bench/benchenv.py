"""Set-up shared by the python benchmarks (imported first, from bench/):
NP_SRC_DIR, NP_BIN_DIR from argv[1] when given, and tests/integration on
sys.path so that harness.py and its friends import."""
import os
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("NP_SRC_DIR", SRC)
if len(sys.argv) > 1:
    os.environ["NP_BIN_DIR"] = os.path.abspath(sys.argv[1])
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
