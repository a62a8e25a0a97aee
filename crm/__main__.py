"""`python -m crm COMMAND`: the command line lives in tools/cli.py (tooling beside the service layer)."""
import sys

from tools.cli import main

sys.exit(main())
