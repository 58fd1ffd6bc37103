import sys

from birdsite.ops.probe import main

sys.exit(main(sys.argv))
