"""nusource.analysis"""
