"""nusource.detsim"""
