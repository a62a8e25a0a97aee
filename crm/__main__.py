import sys

from crm.cli import main

sys.exit(main())
