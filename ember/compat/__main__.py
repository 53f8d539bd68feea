"""``python -m ember.compat SCRIPT [ARGS]``: run a PyTorch script unchanged on ember."""

import sys

from . import run

USAGE = """usage: python -m ember.compat SCRIPT [ARGS...]
       python -m ember.compat -m MODULE [ARGS...]

Runs a PyTorch script unchanged on ember: imports of torch, torch.*, torchvision and
torchvision.* resolve to ember's modules for this run only."""


def main() -> None:
    argv = sys.argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        raise SystemExit(0 if argv else 2)
    run(argv)


if __name__ == "__main__":
    main()
