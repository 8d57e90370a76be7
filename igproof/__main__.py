import sys

from igproof.cli.main import main

sys.exit(main())
