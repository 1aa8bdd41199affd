"""Offline verification: the real program under the SDK's mock runtime, with faithful mocks and canaries.

The tests and the offline check (`python -m verify check`) share this package.
"""
