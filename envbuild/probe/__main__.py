"""python -m envbuild.probe [--files] [--conda-prefix=PATH] [--deadline=SECONDS]"""

from envbuild.probe.main import main

main()
