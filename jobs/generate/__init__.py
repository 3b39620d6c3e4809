"""Sample landing data: raw app events and daily user snapshots, deterministic per seed, with faults."""

from jobs.generate.config import DEFAULT_END, FAULT_TYPES, FaultRates, GenerationReport, GeneratorConfig
from jobs.generate.run import generate

__all__ = ["DEFAULT_END", "FAULT_TYPES", "FaultRates", "GenerationReport", "GeneratorConfig", "generate"]
