"""Offline verification: the real program under the SDK's mock runtime, with faithful mocks and canaries.

The tests and the offline check (`python -m verify check`) share this package.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
