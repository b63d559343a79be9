import sys

from customer_warehouse.backup.cli import main

sys.exit(main(sys.argv[1:]))
