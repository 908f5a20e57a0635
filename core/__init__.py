"""SavePets core: recognition engine, registry and use cases. Imports neither Qt nor HTTP libraries."""

__version__ = "0.1.0"
