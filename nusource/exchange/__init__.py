"""nusource.exchange: event and geometry files for other programs (HepMC3/NuHepMC, GDML)."""
