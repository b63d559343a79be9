import sys

from customer_warehouse.simulator.cli import main

sys.exit(main())
