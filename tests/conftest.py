"""Test configuration shared by the whole suite."""

from hypothesis import settings

# Property tests are derandomised (the same examples every run: no test that
# "fails occasionally") and have no deadline (the first call of a kernel
# includes numba's compilation).
settings.register_profile("nusource", deadline=None, derandomize=True, max_examples=100)
settings.load_profile("nusource")
