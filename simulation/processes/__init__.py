"""The rules of the model, one module each, as vectorised functions over a population.

Timing lives in :mod:`simulation.model`, which calls these from SimPy processes.
"""
