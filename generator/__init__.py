"""nusource.generator: neutrino sources, ν–e cross sections, kinematics and event samplers.

Units: energies in MeV, lengths in cm, times in s, cross sections in cm² per electron.
"""
