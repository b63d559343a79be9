"""Simulator of an e-commerce platform: its operational database, clickstream files and truth.

``simulate`` fills a new platform; ``advance`` adds one more day to it; ``main`` is the
command line. Every order and product uses one store currency, USD, so revenue sums need
no exchange rates. The same seed and size give identical rows and event files.
"""

from customer_warehouse.simulator.advance import advance
from customer_warehouse.simulator.cli import main
from customer_warehouse.simulator.run import simulate
from customer_warehouse.simulator.settings import DefectRates, SimulationError, SimulationSummary

__all__ = ["DefectRates", "SimulationError", "SimulationSummary", "advance", "main", "simulate"]
