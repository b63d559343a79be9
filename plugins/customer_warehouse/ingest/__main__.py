import sys

from customer_warehouse.ingest.cli import main

sys.exit(main(sys.argv[1:]))
