"""python -m envbuild.probe [--files] [--tree=PATH] [--conda-prefix=PATH] [--deadline=SECONDS]"""

from envbuild.probe.main import main

main()
