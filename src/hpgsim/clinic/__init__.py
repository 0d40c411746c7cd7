"""Clinical decision support: phenotype, protocols compared, titration and monitoring (research and education only)."""
